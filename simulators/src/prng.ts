/**
 * Seeded randomness. Readings must be a pure function of (seed, device, metric, time) so a
 * run, a replay and the broker-free check produce identical values; a sequential PRNG would
 * make a reading depend on how many draws came before it. So noise is counter-based: hash the
 * coordinates to a 32-bit state and take one mulberry32 step from there.
 */

/** mulberry32 (Tommy Ettinger, public domain): small, fast, passes PractRand to 2^32. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes 32-bit words into one well-spread 32-bit hash (murmur3 finaliser per word). */
export function hash32(...words: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    let k = Math.imul(word | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) at the given coordinates. */
export function unitAt(...words: readonly number[]): number {
  return mulberry32(hash32(...words))();
}

/** Roughly standard normal at the given coordinates (Irwin-Hall of 4, cheap and bounded to +-3.5). */
export function normalAt(...words: readonly number[]): number {
  const next = mulberry32(hash32(...words));
  return (next() + next() + next() + next() - 2) * Math.sqrt(3);
}

/** Stable 32-bit hash of a string (FNV-1a), for names such as metrics and scenario ids. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Smooth value noise in [-1, 1]: random knots every `periodMs`, cosine-interpolated, so slow
 * drift and weather are continuous in time and still a pure function of it.
 */
export function smoothNoiseAt(key: number, tMs: number, periodMs: number): number {
  const x = tMs / periodMs;
  const k0 = Math.floor(x);
  const frac = x - k0;
  const a = unitAt(key, k0 | 0, (k0 / 4294967296) | 0) * 2 - 1;
  const b = unitAt(key, (k0 + 1) | 0, ((k0 + 1) / 4294967296) | 0) * 2 - 1;
  const w = (1 - Math.cos(frac * Math.PI)) / 2;
  return a + (b - a) * w;
}
