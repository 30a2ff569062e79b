import { DEFAULT_RULES, METRIC_CATALOG } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceMetrics, SIMULATED_METRICS, sensorValue } from '../../src/models/index.ts';

const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const DAY_MS = 86_400_000;

function series(seed: number, devices: number, metric: string, steps: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < devices; d++)
    for (let s = 0; s < steps; s++) out.push(sensorValue(seed, d, metric, T0 + s * stepMs));
  return out;
}

describe('sensor models', () => {
  it('same seed, same readings, exactly; a different seed gives different readings', () => {
    for (const metric of SIMULATED_METRICS) {
      const a = series(42, 20, metric, 200, 997);
      expect(series(42, 20, metric, 200, 997)).toEqual(a);
      const b = series(43, 20, metric, 200, 997);
      const differing = a.filter((v, i) => v !== b[i]).length;
      // Door contacts are mostly closed (0) under any seed, so they differ less often.
      expect(differing / a.length).toBeGreaterThan(metric === 'door' ? 0.01 : 0.5);
    }
  });

  it('is a pure function of (seed, device, metric, time): order of evaluation does not matter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 9999 }),
        fc.constantFrom(...SIMULATED_METRICS),
        fc.integer({ min: 946_684_800_000, max: 4_000_000_000_000 }),
        (seed, device, metric, tMs) => {
          const first = sensorValue(seed, device, metric, tMs);
          sensorValue(seed, device + 1, metric, tMs + 1);
          expect(sensorValue(seed, device, metric, tMs)).toBe(first);
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it('stays inside the catalogue range at the declared resolution', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 9999 }),
        fc.constantFrom(...SIMULATED_METRICS),
        fc.integer({ min: 946_684_800_000, max: 4_000_000_000_000 }),
        (seed, device, metric, tMs) => {
          const spec = METRIC_CATALOG[metric];
          if (!spec) throw new Error(`no catalogue entry for ${metric}`);
          const v = sensorValue(seed, device, metric, tMs);
          expect(v).toBeGreaterThanOrEqual(spec.min);
          expect(v).toBeLessThanOrEqual(spec.max);
          const scaled = v * 10 ** (spec.decimals ?? 0);
          expect(Math.abs(scaled - Math.round(scaled))).toBeLessThan(1e-6);
        },
      ),
      { seed: 6, numRuns: 2000 },
    );
  });

  it('a healthy fleet stays inside the default thresholds over two days', () => {
    const limits: Record<string, [number, number]> = {};
    for (const [metric, rules] of Object.entries(DEFAULT_RULES)) {
      for (const rule of rules) {
        if (rule.kind !== 'threshold') continue;
        const [lo, hi] = limits[metric] ?? [-Infinity, Infinity];
        limits[metric] =
          rule.direction === 'above'
            ? [lo, Math.min(hi, rule.threshold)]
            : [Math.max(lo, rule.threshold), hi];
      }
    }
    for (const [metric, [lo, hi]] of Object.entries(limits)) {
      for (let d = 0; d < 100; d++) {
        for (let t = 0; t < 2 * DAY_MS; t += 15 * 60_000) {
          const v = sensorValue(7, d, metric, T0 + t);
          if (v <= lo || v >= hi)
            throw new Error(`${metric} device ${d} at +${t} ms = ${v}, outside (${lo}, ${hi})`);
        }
      }
    }
  });

  it('has a daily temperature cycle and a decaying battery', () => {
    const temps = Array.from({ length: 24 }, (_, h) => sensorValue(1, 3, 'temperature', T0 + h * 3_600_000));
    expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(2);
    // Mean over many devices falls with age: compare each device a week apart, far from replacement.
    let falling = 0;
    for (let d = 0; d < 200; d++) {
      if (sensorValue(1, d, 'battery_v', T0 + 7 * DAY_MS) < sensorValue(1, d, 'battery_v', T0)) falling++;
    }
    expect(falling).toBeGreaterThan(150);
  });

  it('door contacts are binary and vibration has bursts', () => {
    const doors = new Set(series(3, 50, 'door', 500, 5_000));
    expect([...doors].sort()).toEqual([0, 1]);
    const vib = series(3, 50, 'vibration_rms', 500, 5_000);
    const median = [...vib].sort((a, b) => a - b)[Math.floor(vib.length / 2)] as number;
    expect(Math.max(...vib)).toBeGreaterThan(median + 1.5);
  });

  it('gives every device temperature and battery plus a seeded mix of the rest', () => {
    const mixes = new Set<string>();
    for (let d = 0; d < 100; d++) {
      const metrics = deviceMetrics(42, d);
      expect(metrics[0]).toBe('temperature');
      expect(metrics.at(-1)).toBe('battery_v');
      expect(deviceMetrics(42, d)).toEqual(metrics);
      mixes.add(metrics.join(','));
    }
    expect(mixes.size).toBeGreaterThan(5);
  });
});
