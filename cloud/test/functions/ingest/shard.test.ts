import type { Reading } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedRuleStepper } from '../../../src/functions/ingest/rules.ts';
import {
  applyToShard,
  type ShardDoc,
  type ShardInput,
  shardOf,
} from '../../../src/functions/ingest/shard.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const rules = sharedRuleStepper();

/** 60 one-second temperature readings of d1 from `startSeq`, all at `value`. */
function batch(startSeq: number, value: number): ShardInput {
  const readings: Reading[] = Array.from({ length: 60 }, (_, i) => ({
    deviceId: 'd1',
    metric: 'temperature',
    tsMs: T0 + (startSeq + i) * 1000,
    value,
    seq: startSeq + i,
  }));
  return {
    gatewayId: 'gw-1',
    shard: 0,
    firstSeq: startSeq,
    lastSeq: startSeq + 59,
    series: [{ deviceId: 'd1', metric: 'temperature', profile: undefined, readings }],
  };
}

function run(inputs: ShardInput[]): { doc: ShardDoc | undefined; published: string[][] } {
  let doc: ShardDoc | undefined;
  const published: string[][] = [];
  for (const input of inputs) {
    const out = applyToShard(doc, input, rules);
    if (out.next) doc = out.next;
    published.push(out.result.map((e) => `${e.alertId}/${e.kind}`));
  }
  return { doc, published };
}

describe('applyToShard', () => {
  it('keeps the latest value and raises once when a threshold is held', () => {
    const { doc, published } = run([batch(0, 20), batch(60, 35)]);
    expect(doc?.series.d1?.temperature).toMatchObject({ v: 35, seq: 119, tsMs: T0 + 119_000 });
    expect(published[0]).toEqual([]);
    expect(published[1]).toHaveLength(1);
    expect(published[1]?.[0]).toMatch(/^d1\.temperature\.temperature-high\.\d+\/raised$/);
  });

  it('a redelivered batch writes nothing and republishes the same transitions', () => {
    const first = run([batch(0, 20), batch(60, 35)]);
    const again = applyToShard(first.doc, batch(60, 35), rules);
    expect(again.next).toBeUndefined();
    expect(again.result.map((e) => `${e.alertId}/${e.kind}`)).toEqual(first.published[1]);
  });

  it('reordered batches end in the same document and transitions as in-order delivery', () => {
    const inOrder = run([batch(0, 20), batch(60, 35), batch(120, 20)]);
    const reordered = run([batch(60, 35), batch(0, 20), batch(120, 20), batch(60, 35)]);
    expect(reordered.doc).toEqual(inOrder.doc);
    expect(new Set(reordered.published.flat())).toEqual(new Set(inOrder.published.flat()));
    expect(inOrder.published.flat().filter((t) => t.endsWith('/raised'))).toHaveLength(1);
    expect(inOrder.published.flat().filter((t) => t.endsWith('/cleared'))).toHaveLength(1);
  });

  it('bounds the remembered transitions', () => {
    let doc: ShardDoc | undefined;
    for (let i = 0; i < 10; i++) {
      const out = applyToShard(doc, batch(i * 120, 35), rules, 3);
      doc = out.next ?? doc;
      doc = applyToShard(doc, batch(i * 120 + 60, 20), rules, 3).next ?? doc;
    }
    expect(doc?.recent.length).toBe(3);
  });

  it('spreads devices over shards stably', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[shardOf(`dev-${i}`, 4)]! += 1;
    expect(shardOf('dev-1', 4)).toBe(shardOf('dev-1', 4));
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });
});

describe('applyToShard under redelivery (property)', () => {
  /** Values per 60-reading batch, around the 30 degC threshold so episodes open and close. */
  const batchValues = fc.array(fc.constantFrom(20, 29.5, 31, 35, 45), { minLength: 1, maxLength: 6 });

  it('any duplication of in-order batches ends exactly like one clean delivery', () => {
    fc.assert(
      fc.property(batchValues, fc.array(fc.nat(), { maxLength: 8 }), (values, dupPicks) => {
        const batches = values.map((v, i) => batch(i * 60, v));
        const clean = run(batches);
        // Each pick re-delivers an earlier batch right after a later one has been applied.
        const noisy: ShardInput[] = [];
        batches.forEach((b, i) => {
          noisy.push(b);
          for (const p of dupPicks)
            if (p % batches.length <= i && p % 3 === i % 3)
              noisy.push(batches[p % batches.length] as ShardInput);
        });
        const dirty = run(noisy);
        expect(dirty.doc).toEqual(clean.doc);
        expect(new Set(dirty.published.flat())).toEqual(new Set(clean.published.flat()));
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('in any delivery order: latest value is the highest seq, no transition twice per episode', () => {
    fc.assert(
      fc.property(
        batchValues.chain((values) =>
          fc.tuple(
            fc.constant(values),
            fc.shuffledSubarray(
              values.map((_, i) => i),
              { minLength: values.length },
            ),
          ),
        ),
        ([values, order]) => {
          const batches = values.map((v, i) => batch(i * 60, v));
          const { doc } = run(order.map((i) => batches[i] as ShardInput));
          expect(doc?.series.d1?.temperature?.seq).toBe(values.length * 60 - 1);
          const keys = (doc?.recent ?? []).map((e) => `${e.alertId}/${e.kind}`);
          expect(new Set(keys).size).toBe(keys.length);
        },
      ),
      { seed: 12, numRuns: 150 },
    );
  });
});
