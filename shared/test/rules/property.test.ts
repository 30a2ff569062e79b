import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  type Reading,
  RuleEngine,
  type RuleSpec,
  ruleStateChecker,
} from '../../src/index.ts';
import { type Input, run, T0 } from './helpers.ts';

const SEED = 20_261_123;

const ruleArb: fc.Arbitrary<RuleSpec> = fc.oneof(
  fc.record({
    id: fc.constant('t'),
    kind: fc.constant('threshold' as const),
    severity: fc.constant('warning' as const),
    direction: fc.constantFrom('above' as const, 'below' as const),
    threshold: fc.constant(30),
    clearBand: fc.constantFrom(0, 0.5, 2),
    raiseHoldMs: fc.constantFrom(0, 1000, 5000),
    clearHoldMs: fc.constantFrom(0, 1000, 5000),
  }),
  fc.record({
    id: fc.constant('r'),
    kind: fc.constant('rate' as const),
    severity: fc.constant('info' as const),
    maxDelta: fc.constantFrom(0.5, 2, 5),
    windowMs: fc.constantFrom(1000, 3000, 10_000),
    clearHoldMs: fc.constantFrom(0, 2000),
  }),
  fc.record({
    id: fc.constant('s'),
    kind: fc.constant('stale' as const),
    severity: fc.constant('critical' as const),
    afterMs: fc.constantFrom(1000, 5000),
  }),
);

type Op =
  | { op: 'reading'; device: number; dtMs: number; seqStep: number; value: number }
  | { op: 'tick'; aheadMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('reading' as const),
      device: fc.integer({ min: 0, max: 1 }),
      // Negative steps make late readings, 0 makes equal event times.
      dtMs: fc.integer({ min: -3000, max: 4000 }),
      // 0 repeats a sequence number (duplicate).
      seqStep: fc.integer({ min: 0, max: 2 }),
      value: fc.integer({ min: 250, max: 350 }).map((v) => v / 10),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('tick' as const), aheadMs: fc.integer({ min: 0, max: 12_000 }) }),
  },
);

/** Turns ops into concrete readings and ticks (times relative to a moving cursor). */
function materialize(ops: readonly Op[]): Input[] {
  let tsMs = T0;
  let seq = 0;
  return ops.map((o) => {
    if (o.op === 'tick') return { tickMs: tsMs + o.aheadMs };
    tsMs = Math.max(T0, tsMs + o.dtMs);
    seq += o.seqStep;
    return { reading: { deviceId: `dev-${o.device}`, metric: 'temperature', tsMs, value: o.value, seq } };
  });
}

function byDevice(inputs: readonly Input[], device: string): Input[] {
  return inputs.filter((i) => 'tickMs' in i || i.reading.deviceId === device);
}

/** Raised, cleared, raised, ... with each cleared carrying the id of the raise before it. */
function assertAlternates(events: readonly AlertEvent[]): void {
  const ids = new Set<string>();
  events.forEach((e, i) => {
    expect(e.kind).toBe(i % 2 === 0 ? 'raised' : 'cleared');
    if (e.kind === 'raised') {
      expect(ids.has(e.alertId)).toBe(false);
      ids.add(e.alertId);
    } else {
      expect(e.alertId).toBe(events[i - 1]?.alertId);
      expect(e.tsMs).toBeGreaterThanOrEqual(events[i - 1]?.tsMs as number);
    }
  });
}

/** The same inputs with every earlier reading fed again right after each input, then all again. */
function withDuplicates(inputs: readonly Input[], picks: readonly number[]): Input[] {
  const out: Input[] = [];
  const seen: Reading[] = [];
  inputs.forEach((input, i) => {
    out.push(input);
    if ('reading' in input) seen.push(input.reading);
    if (seen.length > 0) out.push({ reading: { ...(seen[(picks[i] ?? 0) % seen.length] as Reading) } });
  });
  for (const r of seen) out.push({ reading: r });
  return out;
}

describe('rule state machine properties', () => {
  it('events per (series, rule) alternate raised/cleared, and duplicates change nothing', () => {
    let withClear = 0;
    fc.assert(
      fc.property(
        ruleArb,
        fc.array(opArb, { minLength: 20, maxLength: 150 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (rule, ops, picks) => {
          const inputs = materialize(ops);
          for (const device of ['dev-0', 'dev-1']) {
            const ctx = { deviceId: device, metric: 'temperature', source: 'edge' as const };
            const own = byDevice(inputs, device);
            const { events: once, state } = run(rule, own, ctx);
            // What the cloud stores in Firestore must survive JSON unchanged and stay valid.
            expect(JSON.parse(JSON.stringify(state))).toEqual(state);
            expect(ruleStateChecker.problems(state)).toEqual([]);
            assertAlternates(once);
            if (once.some((e) => e.kind === 'cleared')) withClear++;
            const replayed = run(rule, withDuplicates(own, picks), ctx).events;
            expect(replayed).toEqual(once);
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    // Guards the generators: a good share of series must reach full episodes, or the property proves little.
    expect(withClear).toBeGreaterThan(200);
  });

  it('the engine gives the same events as the pure functions, series by series, duplicates or not', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
        fc.array(opArb, { minLength: 20, maxLength: 150 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (rawRules, ops, picks) => {
          const rules = rawRules.map((r, i) => ({ ...r, id: `${r.id}${i}` }));
          const inputs = materialize(ops);
          const feed = (engine: RuleEngine, list: readonly Input[]): AlertEvent[] =>
            list.flatMap((i) => ('tickMs' in i ? engine.onTick(i.tickMs) : engine.onReading(i.reading)));
          const opts = { rulesFor: () => rules, source: 'edge' as const };
          const events = feed(new RuleEngine(opts), inputs);
          for (const device of ['dev-0', 'dev-1']) {
            for (const rule of rules) {
              const ctx = { deviceId: device, metric: 'temperature', source: 'edge' as const };
              // The engine only ticks series it has seen; before a device's first reading a
              // stale rule has nothing to be stale about either way.
              const pure = run(rule, byDevice(inputs, device), ctx).events;
              expect(events.filter((e) => e.deviceId === device && e.ruleId === rule.id)).toEqual(pure);
            }
          }
          expect(feed(new RuleEngine(opts), withDuplicates(inputs, picks))).toEqual(events);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });
});
