import { describe, expect, it } from 'vitest';
import { initialRuleState, stepTick } from '../../src/index.ts';
import { brief, CTX, type Input, readings, run, stale, T0, threshold } from './helpers.ts';

const tick = (s: number): Input => ({ tickMs: T0 + s * 1000 });
const reading = (s: number, value: number, seq: number): Input => ({
  reading: { deviceId: 'dev-1', metric: 'temperature', tsMs: T0 + s * 1000, value, seq },
});

type Case = { name: string; inputs: Input[]; expected: string[] };

// afterMs 60 s.
const cases: Case[] = [
  {
    name: 'no tick before afterMs raises',
    inputs: [reading(0, 21, 1), tick(30), tick(59.999)],
    expected: [],
  },
  {
    name: 'the first tick at or past afterMs raises, stamped lastTs + afterMs',
    inputs: [reading(0, 21, 1), tick(59), tick(75)],
    expected: ['raised@60s=21'],
  },
  {
    name: 'a tick exactly at lastTs + afterMs raises',
    inputs: [reading(10, 21, 1), tick(70)],
    expected: ['raised@70s=21'],
  },
  {
    name: 'repeated ticks raise once',
    inputs: [reading(0, 21, 1), tick(60), tick(61), tick(120), tick(3600)],
    expected: ['raised@60s=21'],
  },
  {
    name: 'the next reading clears; staleness can then return',
    inputs: [reading(0, 21, 1), tick(90), reading(95, 22, 2), tick(100), tick(155)],
    expected: ['raised@60s=21', 'cleared@95s=22', 'raised@155s=22'],
  },
  {
    name: 'readings keep it quiet',
    inputs: [reading(0, 21, 1), tick(50), reading(50, 21, 2), tick(100), reading(100, 21, 3), tick(159)],
    expected: [],
  },
  {
    name: 'no readings ever: nothing to be stale about',
    inputs: [tick(0), tick(1e6)],
    expected: [],
  },
  {
    name: 'a delayed reading older than the raise clears at the raise time, never before it',
    inputs: [reading(0, 21, 1), tick(70), reading(30, 22, 2)],
    expected: ['raised@60s=21', 'cleared@60s=22'],
  },
  {
    name: 'a late reading (older than the last) neither clears nor resets',
    inputs: [reading(10, 21, 2), tick(80), reading(5, 22, 3), tick(200)],
    expected: ['raised@70s=21'],
  },
];

describe('stale rule', () => {
  it.each(cases)('$name', ({ inputs, expected }) => {
    expect(brief(run(stale(), inputs).events)).toEqual(expected);
  });

  it('gives the same event whenever the tick ran (edge and cloud agree)', () => {
    const early = run(stale(), [reading(0, 21, 7), tick(60)]).events;
    const late = run(stale(), [reading(0, 21, 7), tick(59), tick(400)]).events;
    expect(late).toEqual(early);
    expect(early[0]).toMatchObject({
      kind: 'raised',
      alertId: `dev-1.temperature.temp-stale.${T0 + 60_000}`,
      tsMs: T0 + 60_000,
      seq: 7,
      value: 21,
      severity: 'critical',
      ruleKind: 'stale',
      message: 'temperature silent: no reading for 1min (last 21 degC)',
    });
  });

  it('clears with the id it raised with, carrying the new reading', () => {
    const { events } = run(stale(), [reading(0, 21, 1), tick(60), reading(90, 23, 2)]);
    expect(events[1]).toMatchObject({
      kind: 'cleared',
      alertId: events[0]?.alertId,
      seq: 2,
      value: 23,
      tsMs: T0 + 90_000,
    });
    expect(events[1]?.message).toBe('temperature reporting again: 23 degC after 90s without readings');
  });

  it('ticks leave other rule kinds untouched (same state object)', () => {
    const { state } = run(threshold(), readings([[0, 31]]));
    const step = stepTick(threshold(), state, T0 + 1e9, CTX);
    expect(step.state).toBe(state);
    expect(step.event).toBeUndefined();
    const fresh = initialRuleState();
    expect(stepTick(stale(), fresh, T0, CTX).state).toBe(fresh);
  });
});
