import { describe, expect, it } from 'vitest';
import { benchRows, TARGETS } from '../../bench/rows.ts';
import { verdict } from '../../bench/table.ts';

describe('benchRows', () => {
  it('checks each measured figure against its north-star target', () => {
    const rows = benchRows({
      notes: [],
      edgeBench: { rawPerSecond: 46_000, gatewayPerSecond: 40_000, ratio: 0.87, alertP99Ms: 3.4, rssMiB: 98 },
      throughput: {
        rawPerSecond: 50_000,
        gatewayPerSecond: 35_000,
        ratio: 0.7,
        rawRounds: [],
        gatewayRounds: [],
      },
      cloudAlert: { samples: 200, p50Ms: 80, p99Ms: 250, maxMs: 400 },
      cloudAlertBySendOrderMs: [80, 300, 301, null, 120],
      edgeAlertUnderLoad: { samples: 1000, p50Ms: 1, p99Ms: 6, maxMs: 9 },
      cost: {
        pubsub: 0,
        invocations: 0.01,
        cpu: 0.001,
        memory: 0,
        firestoreWrites: 0.02,
        firestoreReads: 0,
        total: 0.031,
      },
      naiveCost: {
        pubsub: 0.07,
        invocations: 0.4,
        cpu: 0.9,
        memory: 0.03,
        firestoreWrites: 0.9,
        firestoreReads: 0,
        total: 2.3,
      },
    });
    const byFigure = new Map(rows.map((r) => [r.figure, r]));
    expect(verdict(byFigure.get('gateway / raw aedes, median of rounds')!)).toBe('FAIL');
    expect(byFigure.get('gateway / raw aedes, median of rounds')!.target).toEqual(TARGETS.gatewayRatio);
    expect(verdict(byFigure.get('device -> cloud alert record p99')!)).toBe('pass');
    const edgeBench = rows.filter((r) => r.section === 'edge (bench:edge)' && r.target);
    expect(edgeBench.map((r) => [r.figure, verdict(r)])).toEqual([
      ['gateway / raw aedes, median of rounds', 'pass'],
      ['device -> local MQTT alert p99', 'pass'],
      ['gateway RSS at 10k/s', 'pass'],
    ]);
    expect(verdict(byFigure.get('device -> local MQTT alert p99, pipeline loaded')!)).toBe('FAIL');
    expect(verdict(byFigure.get('USD per million readings, edgeflow')!)).toBe('pass');
    expect(byFigure.get('naive / edgeflow')!.value).toBeCloseTo(2.3 / 0.031, 9);
    expect(byFigure.get('cloud alert records later than 300 ms')!.value).toBe(2);
  });

  it('shows every targeted figure as n/a when nothing was measured, never as a pass', () => {
    const rows = benchRows({ notes: [] });
    const targeted = rows.filter((r) => r.target);
    expect(targeted.length).toBeGreaterThanOrEqual(9);
    for (const r of targeted) expect(verdict(r)).toBe('n/a');
  });
});
