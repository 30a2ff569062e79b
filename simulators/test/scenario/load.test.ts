import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatorError, SimulatorErrorCodes } from '../../src/errors.ts';
import { loadScenario, parseScenario, shippedScenarios } from '../../src/scenario/load.ts';
import { EVENT_KINDS } from '../../src/scenario/schema.ts';

const valid = {
  name: 'demo',
  description: 'a demo',
  run: { devices: 4, rate: 1, duration: '5m' },
  rules: 'default',
  events: [{ kind: 'dropout', devices: [1], at: '1m', until: '2m' }],
  expect: {
    alerts: [
      {
        devices: [1],
        metric: 'temperature',
        rule: 'temperature-stale',
        raise: ['1m30s', '2m30s'],
        clear: ['2m', '2m30s'],
      },
    ],
    rejections: [],
  },
};

function problemsOf(raw: unknown): string[] {
  try {
    parseScenario(raw, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SimulatorError);
    expect((err as SimulatorError).code).toBe(SimulatorErrorCodes.SCENARIO_INVALID);
    const problems = (err as SimulatorError).problems.map((p) => `${p.path} ${p.message}`);
    // One message names every problem.
    for (const p of (err as SimulatorError).problems) expect((err as Error).message).toContain(p.path);
    return problems;
  }
  return [];
}

describe('scenario files', () => {
  it('ships at least steady, heatwave, flapping, dropout and bad-input, and every shipped file validates', () => {
    const names = shippedScenarios();
    expect(names).toEqual(expect.arrayContaining(['steady', 'heatwave', 'flapping', 'dropout', 'bad-input']));
    const kinds = new Set<string>();
    for (const name of names) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
      for (const e of s.events) kinds.add(e.kind);
    }
    // Every event kind is exercised by some shipped scenario.
    expect([...kinds].sort()).toEqual([...EVENT_KINDS].sort());
  });

  it('normalizes durations, defaults and counts', () => {
    const s = parseScenario(valid, 'x');
    expect(s.run.durationMs).toBe(300_000);
    expect(s.events[0]).toMatchObject({ kind: 'dropout', atMs: 60_000, untilMs: 120_000 });
    expect(s.expect.exhaustive).toBe(true);
    expect(s.expect.alerts[0]).toMatchObject({
      raise: { fromMs: 90_000, toMs: 150_000 },
      count: { min: 1, max: 1 },
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('names every problem of a bad file in one error', () => {
    const problems = problemsOf({
      ...valid,
      name: 'Bad Name',
      run: { devices: 0, rate: 1, duration: '10q' },
      events: [
        { kind: 'explode', devices: [1], at: '1m', until: '2m' },
        { kind: 'offset', devices: 'some', metric: 'temperature', at: '1m', until: '2m' },
        {
          kind: 'flap',
          devices: [0],
          metric: 'temperature',
          low: 1,
          high: 2,
          period: '1s',
          at: '1m',
          until: '2m',
          extra: 1,
        },
      ],
    });
    const text = problems.join('\n');
    expect(text).toContain('/name');
    expect(text).toContain('/run/devices');
    expect(text).toContain('/run/duration must be a duration');
    expect(text).toContain('/events/0/kind must be one of offset, spike');
    expect(text).toContain('/events/1 ');
    expect(text).toContain('delta');
    expect(text).toContain('/events/1/devices must be "all", a list of device indices or { from, count }');
    expect(text).toContain('/events/2');
    expect(problems.length).toBeGreaterThanOrEqual(6);
  });

  it('checks meaning across fields: windows, devices, metrics, rules, reasons', () => {
    const problems = problemsOf({
      ...valid,
      rules: {
        temperature: [
          {
            id: 'hot',
            kind: 'threshold',
            severity: 'warning',
            direction: 'above',
            threshold: 30,
            clearBand: 1,
            raiseHoldMs: 0,
            clearHoldMs: 0,
          },
        ],
      },
      events: [
        { kind: 'dropout', devices: [9], at: '2m', until: '1m' },
        { kind: 'offset', devices: [0], metric: 'wind_speed', delta: 1, ramp: '1m', at: '1m', until: '6m' },
        {
          kind: 'flap',
          devices: [0],
          metric: 'temperature',
          low: 5,
          high: 2,
          period: '10s',
          at: '1m',
          until: '2m',
        },
      ],
      expect: {
        alerts: [
          { devices: [0], metric: 'temperature', rule: 'cold', raise: ['3m', '2m'], clear: ['1m', '1m30s'] },
        ],
        rejections: [
          { reason: 'out_of_range', count: 1 },
          { reason: 'out_of_range', count: 2 },
        ],
      },
    });
    const text = problems.join('\n');
    expect(text).toContain('/events/0 at must be before until');
    expect(text).toContain('/events/0/devices device 9 is outside run.devices (4)');
    expect(text).toContain('/events/1 until is after the end of the run');
    expect(text).toContain('/events/1/metric "wind_speed" has no sensor model');
    expect(text).toContain('/events/2/low must be below high');
    expect(text).toContain('/expect/alerts/0/rule no rule "cold" for metric "temperature"');
    expect(text).toContain('/expect/alerts/0/raise from must be before to');
    expect(text).toContain('/expect/rejections/1/reason "out_of_range" listed twice');
  });

  it('reports unparseable files and unknown names clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeflow-sim-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: [unclosed\n');
    expect(() => loadScenario(file)).toThrow(/invalid scenario .*broken\.yaml: not valid YAML/);
    expect(() => loadScenario('no-such-scenario')).toThrow(
      /not a shipped scenario \(.*bad-input.*heatwave.*steady/,
    );
    const json = join(dir, 'ok.json');
    writeFileSync(json, JSON.stringify(valid));
    expect(loadScenario(json).name).toBe('demo');
  });
});
