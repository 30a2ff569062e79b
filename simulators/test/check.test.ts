import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CHECK_START_MS, checkScenario, expectedOutcome } from '../src/check.ts';
import { loadScenario, parseScenario, resolveScenarioPath, shippedScenarios } from '../src/scenario/load.ts';

describe('scenario check (no broker): expected alerts follow from the shared rule engine', () => {
  for (const name of shippedScenarios()) {
    it(`${name}: passes for seed 42`, () => {
      const result = checkScenario(loadScenario(name), 42);
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.simulation.readings).toBeGreaterThan(0);
    });
  }

  it('holds for other seeds and start times of day too', () => {
    const scenarios = shippedScenarios().map((n) => loadScenario(n));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(...scenarios),
        (seed, hour, scenario) => {
          const result = checkScenario(scenario, seed, undefined, {
            startMs: CHECK_START_MS + hour * 3_600_000,
          });
          expect(result.problems).toEqual([]);
        },
      ),
      { seed: 17, numRuns: 20 },
    );
  });

  it('is deterministic: the same seed gives the same alerts and counts', () => {
    const scenario = loadScenario('heatwave');
    const a = checkScenario(scenario, 7).simulation;
    const b = checkScenario(scenario, 7).simulation;
    expect(b).toEqual(a);
    expect(checkScenario(scenario, 8).simulation.alerts).not.toEqual(a.alerts);
  });

  it('fails, naming the difference, when a scenario promises what its readings do not produce', () => {
    const raw = parseYaml(readFileSync(resolveScenarioPath('heatwave'), 'utf8')) as Record<string, unknown>;
    const wrong = parseScenario(
      {
        ...raw,
        expect: {
          alerts: [
            {
              devices: [0],
              metric: 'temperature',
              rule: 'temperature-high',
              raise: ['0s', '30s'],
              clear: 'never',
            },
            {
              devices: [7],
              metric: 'temperature',
              rule: 'temperature-high',
              raise: ['1m', '5m'],
              clear: ['6m', '11m'],
            },
          ],
          rejections: [{ reason: 'unparsable', count: 3 }],
        },
      },
      'wrong-heatwave',
    );
    const result = checkScenario(wrong, 42);
    expect(result.ok).toBe(false);
    const text = result.problems.join('\n');
    expect(text).toMatch(/sim-00000\/temperature\/temperature-high: raised at .*, expected in \[0ms, 30s\]/);
    expect(text).toMatch(/sim-00000\/temperature\/temperature-high: cleared at .*, expected to stay raised/);
    expect(text).toContain(
      'sim-00007/temperature/temperature-high: expected a raise in [1m, 5m], none happened',
    );
    expect(text).toMatch(/sim-00001\/temperature\/temperature-high: unexpected alert raised at/);
    expect(text).toContain('rejections "unparsable": scenario declares 3, the run sends 0');
  });

  it('expectedOutcome expands alerts per device id (credentials) and counts rejections for the given run', () => {
    const scenario = loadScenario('bad-input');
    const credentials = {
      devices: Array.from({ length: 30 }, (_, i) => ({ deviceId: `dev-${i}`, password: `pw-${i}` })),
    };
    const outcome = expectedOutcome(scenario, { seed: 42, devices: 30, credentials });
    expect(outcome.rejections).toEqual(
      expect.arrayContaining([
        { reason: 'unparsable', count: 28 },
        { reason: 'bad_metric', count: 8 },
      ]),
    );
    expect(outcome.predicted.alerts).toEqual([]);
    const dropout = expectedOutcome(loadScenario('dropout'), { credentials, devices: 30 });
    expect(dropout.alerts.map((a) => a.deviceId)).toEqual(['dev-3', 'dev-7']);
    expect(dropout.predicted.alerts.filter((a) => a.kind === 'raised').map((a) => a.deviceId)).toEqual([
      'dev-3',
      'dev-7',
    ]);
    // The counts follow the options, not the file: at 2/s each device sends ticks 120..479 in
    // the window, 33 of them multiples of 11 (vs 16 at 1/s).
    const total = (o: typeof outcome) => o.rejections.reduce((n, r) => n + r.count, 0);
    expect(total(outcome)).toBe(4 * 16);
    expect(total(expectedOutcome(scenario, { rate: 2 }))).toBe(4 * 33);
  });
});
