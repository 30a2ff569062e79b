/**
 * Column packing: LEB128 varints (unsigned, and zigzag for signed values) and float64s in a
 * growable byte buffer, and a cursor that reads them back from untrusted bytes.
 *
 * Every value is a JS number holding an integer in [-2^53, 2^53 - 1]. Zigzag maps a signed v
 * to 2v (v >= 0) or -2v-1 (v < 0); doubling a 53-bit magnitude is not exact in a double, so
 * the writer never forms that product: the first byte carries the sign bit and the low six
 * bits of |v| (or of -v-1), later bytes carry the rest in 7-bit groups. The bytes are exactly
 * zigzag LEB128; only the arithmetic is arranged to stay inside the exact-integer range.
 */

/** Most bytes a varint may take: 6 + 7*8 = 62 bits covers every magnitude up to 2^53. */
export const MAX_VARINT_BYTES = 9;
const TWO_POW_53 = 2 ** 53;

export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialBytes = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialBytes));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + extra));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Unsigned LEB128 of a non-negative safe integer (< 2^53). */
  writeUnsigned(value: number): void {
    this.#ensure(MAX_VARINT_BYTES);
    const buf = this.#buf;
    let pos = this.#len;
    let m = value;
    while (m >= 128) {
      buf[pos++] = (m % 128) | 128;
      m = Math.floor(m / 128);
    }
    buf[pos++] = m;
    this.#len = pos;
  }

  /** Zigzag LEB128 of an integer in [-2^53, 2^53 - 1] (see the file comment for why by hand). */
  writeSigned(value: number): void {
    this.#ensure(MAX_VARINT_BYTES);
    const buf = this.#buf;
    let pos = this.#len;
    const negative = value < 0;
    // For v < 0 zigzag stores 2(-v-1)+1; -v-1 is exact for every |v| <= 2^53.
    let m = negative ? -value - 1 : value;
    const first = ((m % 64) << 1) | (negative ? 1 : 0);
    m = Math.floor(m / 64);
    if (m === 0) {
      buf[pos++] = first;
    } else {
      buf[pos++] = first | 128;
      while (m >= 128) {
        buf[pos++] = (m % 128) | 128;
        m = Math.floor(m / 128);
      }
      buf[pos++] = m;
    }
    this.#len = pos;
  }

  /** IEEE 754 double, little endian (bit-exact, keeps -0 and every payload). */
  writeFloat64(value: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
  }

  /** A copy of the bytes written so far, sized exactly. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * Reads varints from untrusted bytes. A read past the end or an over-long varint sets
 * `failed` and returns 0 instead of throwing, so the hot loop carries no try/catch and no
 * closure; the caller checks `failed` once per series and turns it into a coded error.
 */
export class ColumnReader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  pos = 0;
  /** 0 while healthy; READ_PAST_END or READ_TOO_LONG after a bad read (sticky). */
  failed = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  readUnsigned(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    if (pos >= bytes.length) return this.#fail(READ_PAST_END);
    let b = bytes[pos++]!;
    if (b < 128) {
      this.pos = pos;
      return b;
    }
    let value = b & 127;
    let mult = 128;
    for (let i = 1; ; i++) {
      if (pos >= bytes.length) return this.#fail(READ_PAST_END);
      if (i >= MAX_VARINT_BYTES) return this.#fail(READ_TOO_LONG);
      b = bytes[pos++]!;
      value += (b & 127) * mult;
      if (b < 128) break;
      mult *= 128;
    }
    this.pos = pos;
    // Rounding is monotone, so any true value >= 2^53 computes as >= 2^53 and is refused.
    return value >= TWO_POW_53 ? this.#fail(READ_TOO_LONG) : value;
  }

  readSigned(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    if (pos >= bytes.length) return this.#fail(READ_PAST_END);
    let b = bytes[pos++]!;
    if (b < 128) {
      this.pos = pos;
      return b & 1 ? -(b >> 1) - 1 : b >> 1;
    }
    const negative = b & 1;
    let m = (b >> 1) & 63;
    let mult = 64;
    for (let i = 1; ; i++) {
      if (pos >= bytes.length) return this.#fail(READ_PAST_END);
      if (i >= MAX_VARINT_BYTES) return this.#fail(READ_TOO_LONG);
      b = bytes[pos++]!;
      m += (b & 127) * mult;
      if (b < 128) break;
      mult *= 128;
    }
    this.pos = pos;
    // A sum of non-negative terms rounds monotonically, so any true m above the bound lands >= 2^53.
    if (m >= TWO_POW_53) return this.#fail(READ_TOO_LONG);
    return negative ? -m - 1 : m;
  }

  readFloat64(): number {
    if (this.bytes.length - this.pos < 8) return this.#fail(READ_PAST_END);
    const value = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  #fail(reason: number): number {
    if (this.failed === 0) this.failed = reason;
    this.pos = this.bytes.length;
    return 0;
  }
}

export const READ_PAST_END = 1;
export const READ_TOO_LONG = 2;
