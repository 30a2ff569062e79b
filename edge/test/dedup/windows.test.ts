import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadHash, RetransmitMemory } from '../../src/dedup/retransmits.ts';
import { SameReadingWindow } from '../../src/dedup/same-reading.ts';

describe('RetransmitMemory', () => {
  it('knows a packet id only with the same topic and payload, and only for the client that sent it', () => {
    const m = new RetransmitMemory({ perClient: 4, maxClients: 10 });
    const h = payloadHash(Buffer.from('21.5'));
    m.remember('dev-a', 7, 'sensors/dev-a/t', h);
    expect(m.isRetransmit('dev-a', 7, 'sensors/dev-a/t', h)).toBe(true);
    expect(m.isRetransmit('dev-a', 7, 'sensors/dev-a/t', payloadHash(Buffer.from('21.6')))).toBe(false);
    expect(m.isRetransmit('dev-a', 7, 'sensors/dev-a/h', h)).toBe(false);
    expect(m.isRetransmit('dev-a', 8, 'sensors/dev-a/t', h)).toBe(false);
    expect(m.isRetransmit('dev-b', 7, 'sensors/dev-a/t', h)).toBe(false);
  });

  it('keeps the last perClient packet ids of a client; a reused id takes the new content', () => {
    const m = new RetransmitMemory({ perClient: 3, maxClients: 10 });
    for (const id of [1, 2, 3, 4]) m.remember('c', id, 't', id);
    expect([1, 2, 3, 4].map((id) => m.isRetransmit('c', id, 't', id))).toEqual([false, true, true, true]);
    m.remember('c', 2, 't', 99);
    expect(m.isRetransmit('c', 2, 't', 2)).toBe(false);
    expect(m.isRetransmit('c', 2, 't', 99)).toBe(true);
    // 2 was refreshed, so 3 is now the oldest and goes first.
    m.remember('c', 5, 't', 5);
    expect(m.isRetransmit('c', 3, 't', 3)).toBe(false);
    expect(m.isRetransmit('c', 2, 't', 99)).toBe(true);
  });

  it('at maxClients forgets the first client remembered, counted', () => {
    let overflows = 0;
    const m = new RetransmitMemory({ perClient: 2, maxClients: 2, onOverflow: () => overflows++ });
    m.remember('a', 1, 't', 1);
    m.remember('b', 1, 't', 1);
    expect(overflows).toBe(0);
    m.remember('c', 1, 't', 1);
    expect(overflows).toBe(1);
    expect(m.clients).toBe(2);
    expect(m.isRetransmit('a', 1, 't', 1)).toBe(false);
    expect(m.isRetransmit('c', 1, 't', 1)).toBe(true);
    m.clear();
    expect(m.clients).toBe(0);
  });

  it('refuses bounds below one', () => {
    expect(() => new RetransmitMemory({ perClient: 0, maxClients: 1 })).toThrow(RangeError);
    expect(() => new RetransmitMemory({ perClient: 1, maxClients: 0 })).toThrow(RangeError);
  });

  it('the payload hash is FNV-1a (32 bit) and tells apart payloads that differ in one byte', () => {
    expect(payloadHash(Buffer.alloc(0))).toBe(0x811c9dc5);
    expect(payloadHash(Buffer.from('a'))).toBe(0xe40c292c);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (bytes, at) => {
        const other = Uint8Array.from(bytes);
        const i = at % bytes.length;
        other[i] = ((other[i] as number) + 1) & 0xff;
        return payloadHash(bytes) !== payloadHash(other);
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});

describe('SameReadingWindow', () => {
  it('has seen a (tsMs, value) of a series among its last perSeries readings, no other series', () => {
    const w = new SameReadingWindow({ perSeries: 3, maxSeries: 10 });
    for (const ts of [1, 2, 3, 4]) w.remember('d', 'm', ts, ts * 10);
    expect([1, 2, 3, 4].map((ts) => w.seen('d', 'm', ts, ts * 10))).toEqual([false, true, true, true]);
    expect(w.seen('d', 'm', 4, 41)).toBe(false);
    expect(w.seen('d', 'other', 4, 40)).toBe(false);
    expect(w.seen('e', 'm', 4, 40)).toBe(false);
  });

  it('a key cannot be forged by joining names (device "a" metric "b:c" vs device "a:b" metric "c")', () => {
    const w = new SameReadingWindow({ perSeries: 1, maxSeries: 10 });
    w.remember('a', 'b:c', 1, 1);
    expect(w.seen('a:b', 'c', 1, 1)).toBe(false);
  });

  it('at maxSeries forgets the first series seen, counted; perSeries 1 keeps only the last', () => {
    let overflows = 0;
    const w = new SameReadingWindow({ perSeries: 1, maxSeries: 2, onOverflow: () => overflows++ });
    w.remember('a', 'm', 1, 1);
    w.remember('a', 'm', 2, 2);
    expect(w.seen('a', 'm', 1, 1)).toBe(false);
    expect(w.seen('a', 'm', 2, 2)).toBe(true);
    w.remember('b', 'm', 1, 1);
    expect(overflows).toBe(0);
    w.remember('c', 'm', 1, 1);
    expect(overflows).toBe(1);
    expect(w.series).toBe(2);
    expect(w.seen('a', 'm', 2, 2)).toBe(false);
  });

  it('matches a model: seen iff among the series last perSeries remembered pairs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 6 }), fc.boolean()), {
          maxLength: 60,
        }),
        (perSeries, ops) => {
          const w = new SameReadingWindow({ perSeries, maxSeries: 10 });
          const model = new Map<string, number[]>();
          for (const [metric, ts, write] of ops) {
            const last = model.get(metric) ?? [];
            if (w.seen('d', metric, ts, ts) !== last.includes(ts)) return false;
            if (write) {
              w.remember('d', metric, ts, ts);
              model.set(metric, [...last, ts].slice(-perSeries));
            }
          }
          return true;
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});
