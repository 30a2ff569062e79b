import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideStorm, type StormBudget } from '../../../src/functions/notify/storm.ts';

const opts = { limit: 3, windowMs: 60_000 };

function run(times: number[]): { decisions: string[]; budget: StormBudget | undefined; before: number[] } {
  let budget: StormBudget | undefined;
  const decisions: string[] = [];
  const before: number[] = [];
  for (const t of times) {
    const out = decideStorm(budget, t, opts);
    budget = out.budget;
    decisions.push(out.decision);
    before.push(out.suppressedBefore);
  }
  return { decisions, budget, before };
}

describe('decideStorm', () => {
  it('delivers up to the limit, then one digest, then suppresses and counts', () => {
    const { decisions, budget } = run([0, 1, 2, 3, 4, 5]);
    expect(decisions).toEqual(['deliver', 'deliver', 'deliver', 'digest', 'suppress', 'suppress']);
    expect(budget?.suppressed).toBe(3);
  });

  it('starts a new window and reports what was suppressed in the last one', () => {
    const { decisions, before } = run([0, 1, 2, 3, 4, 60_000, 60_001]);
    expect(decisions.slice(5)).toEqual(['deliver', 'deliver']);
    expect(before.slice(5)).toEqual([2, 0]);
  });

  it('never sends more than limit + 1 per window (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 100 }), (raw) => {
        const times = [...raw].sort((a, b) => a - b);
        const { decisions } = run(times);
        const perWindow = new Map<number, number>();
        times.forEach((t, i) => {
          if (decisions[i] === 'suppress') return;
          const w = Math.floor(t / opts.windowMs);
          perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
        });
        for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(opts.limit + 1);
        const folded = decisions.filter((d) => d !== 'deliver').length;
        const reported = run(times).budget;
        expect(folded).toBeGreaterThanOrEqual(reported?.suppressed ?? 0);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
