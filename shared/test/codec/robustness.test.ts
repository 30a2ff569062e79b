import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, peekBatchHeader } from '../../src/codec/index.ts';
import {
  batchCaseArb,
  decimalsFrom,
  editEnvelope,
  encodeRaw,
  expectValidOrCodecError,
} from './arbitraries.ts';

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 9 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'flip' && at < out.length) out[at]! ^= m.mask;
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'insert')
      out = Uint8Array.from([...out.subarray(0, at), ...m.bytes, ...out.subarray(at)]);
    else if (m.kind === 'delete')
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + m.length)]);
  }
  return out;
}

const decodeBoth = (bytes: Uint8Array): void => {
  expectValidOrCodecError(() => decodeBatch(bytes));
  expectValidOrCodecError(() => peekBatchHeader(bytes));
};

describe('decoding untrusted bytes', () => {
  it('random bytes give a valid batch or a CODEC_* error, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodeBoth(bytes)),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('random bytes behind a valid envelope prefix reach the column decoder safely', () => {
    // Byte-level noise rarely survives CBOR parsing; random columns in a well-formed envelope do.
    const columnsArb = fc.record({
      s: fc.uint8Array({ maxLength: 40 }),
      t: fc.uint8Array({ maxLength: 80 }),
      q: fc.uint8Array({ maxLength: 80 }),
      i: fc.uint8Array({ maxLength: 80 }),
      x: fc.uint8Array({ maxLength: 80 }),
      n: fc.nat(30),
      f: fc.nat(40),
      span: fc.nat(60),
    });
    fc.assert(
      fc.property(columnsArb, (c) => {
        const bytes = encodeRaw({
          V: 1,
          v: 0,
          g: 'gw-1',
          c: 1_767_225_600_000,
          n: c.n,
          f: c.n === 0 ? 0 : c.f,
          l: c.n === 0 ? 0 : c.f + c.span,
          d: ['dev-a', 'dev-b'],
          m: ['temperature', 'flow'],
          s: c.s,
          t: c.t,
          q: c.q,
          i: c.i,
          x: c.x,
          a: [],
        });
        decodeBoth(bytes);
      }),
      { seed: 12, numRuns: 3000 },
    );
  });

  it('mutated valid encodings (flip, truncate, insert, delete bytes) never crash or yield invalid batches', () => {
    fc.assert(
      fc.property(batchCaseArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (c, mutations) => {
        const bytes = encodeBatch(c.batch, { decimalsFor: decimalsFrom(c) });
        decodeBoth(mutate(bytes, mutations));
      }),
      { seed: 13, numRuns: 1500 },
    );
  });

  it('valid encodings with one envelope field replaced by arbitrary CBOR are handled', () => {
    const keys = ['V', 'v', 'g', 'c', 'n', 'f', 'l', 'd', 'm', 's', 't', 'q', 'i', 'x', 'a'];
    fc.assert(
      fc.property(batchCaseArb, fc.constantFrom(...keys), fc.anything(), (c, key, replacement) => {
        const bytes = encodeBatch(c.batch, { decimalsFor: decimalsFrom(c) });
        decodeBoth(
          editEnvelope(bytes, (env) => {
            env[key] = replacement;
          }),
        );
      }),
      { seed: 14, numRuns: 500 },
    );
  });

  it('deeply nested CBOR is refused as malformed, and the decoder keeps working afterwards', () => {
    const deepArrays = new Uint8Array(1_000_000).fill(0x81);
    const deepMaps = new Uint8Array(999_999);
    for (let i = 0; i < deepMaps.length; i += 3) deepMaps.set([0xa1, 0x61, 0x61], i);
    for (const bytes of [deepArrays, deepMaps]) {
      expect(() => decodeBatch(bytes)).toThrow(expect.objectContaining({ code: 'EDGEFLOW_CODEC_MALFORMED' }));
    }
    const ok = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: 0,
      readings: [{ deviceId: 'd', metric: 'co2', tsMs: 1_767_225_600_000, value: 3, seq: 0 }],
      alerts: [],
    });
    expect(() => decodeBatch(ok.subarray(0, 20))).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_CODEC_TRUNCATED' }),
    );
    expect(decodeBatch(ok).readings).toEqual([
      { deviceId: 'd', metric: 'co2', tsMs: 1_767_225_600_000, value: 3, seq: 0 },
    ]);
  });
});
