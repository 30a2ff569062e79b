import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter, ColumnReader, READ_PAST_END, READ_TOO_LONG } from '../../src/codec/varint.ts';

/** Reference zigzag LEB128 in BigInt arithmetic. */
function referenceZigzag(value: number): number[] {
  const v = BigInt(value);
  let z = v >= 0n ? v * 2n : -v * 2n - 1n;
  const out: number[] = [];
  do {
    const low = Number(z & 127n);
    z >>= 7n;
    out.push(z > 0n ? low | 128 : low);
  } while (z > 0n);
  return out;
}

const signedArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer(),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 - 1 }),
  fc.constantFrom(-(2 ** 53), 2 ** 53 - 1, -(2 ** 52), 2 ** 52, -64, 63, -65, 64),
);

describe('varint columns', () => {
  it('signed values round-trip and match the zigzag LEB128 reference bit for bit', () => {
    fc.assert(
      fc.property(fc.array(signedArb, { maxLength: 20 }), (values) => {
        const w = new ByteWriter(1);
        for (const v of values) w.writeSigned(v);
        const bytes = w.toBytes();
        expect([...bytes]).toEqual(values.flatMap(referenceZigzag));
        const r = new ColumnReader(bytes);
        expect(values.map(() => r.readSigned())).toEqual(values.map((v) => v + 0));
        expect(r.failed).toBe(0);
        expect(r.atEnd).toBe(true);
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('unsigned values and float64s round-trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.double()), { maxLength: 20 }),
        (pairs) => {
          const w = new ByteWriter(1);
          for (const [u, f] of pairs) {
            w.writeUnsigned(u);
            w.writeFloat64(f);
          }
          const r = new ColumnReader(w.toBytes());
          for (const [u, f] of pairs) {
            expect(r.readUnsigned()).toBe(u);
            expect(Object.is(r.readFloat64(), f)).toBe(true);
          }
          expect(r.atEnd && r.failed === 0).toBe(true);
        },
      ),
      { seed: 4, numRuns: 300 },
    );
  });

  it('flags reads past the end and over-long varints instead of throwing', () => {
    const dry = new ColumnReader(new Uint8Array([0x80]));
    expect(dry.readSigned()).toBe(0);
    expect(dry.failed).toBe(READ_PAST_END);
    const long = new ColumnReader(new Uint8Array(12).fill(0xff));
    expect(long.readUnsigned()).toBe(0);
    expect(long.failed).toBe(READ_TOO_LONG);
    // 2^53 and 2^53 + 1 do not fit a safe integer: refused rather than rounded.
    const big = new ByteWriter();
    big.writeUnsigned(2 ** 53);
    for (const bytes of [big.toBytes(), Uint8Array.from(big.toBytes(), (b, i) => (i === 0 ? b | 1 : b))]) {
      const r = new ColumnReader(bytes);
      r.readUnsigned();
      expect(r.failed).toBe(READ_TOO_LONG);
    }
    const signed = new ColumnReader(Uint8Array.from(referenceZigzag(2 ** 53)));
    signed.readSigned();
    expect(signed.failed).toBe(READ_TOO_LONG);
    const floats = new ColumnReader(new Uint8Array(7));
    floats.readFloat64();
    expect(floats.failed).toBe(READ_PAST_END);
  });
});
