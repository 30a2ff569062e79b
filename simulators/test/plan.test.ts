import { describe, expect, it } from 'vitest';
import { sensorValue } from '../src/models/index.ts';
import { FleetPlan, newEmission } from '../src/plan.ts';
import { parseScenario } from '../src/scenario/load.ts';

const START = Date.UTC(2026, 0, 1);

function scenarioWith(events: unknown[], devices = 4) {
  return parseScenario(
    {
      name: 'p',
      description: 'p',
      run: { devices, rate: 1, duration: '10m' },
      rules: 'default',
      events,
      expect: { alerts: [], rejections: [] },
    },
    'inline',
  );
}

describe('fleet plan', () => {
  it('spreads devices evenly over each period and gives every device one reading per tick', () => {
    const plan = new FleetPlan({ seed: 1, devices: 4, rate: 2, startMs: START });
    const e = newEmission();
    const offsets = Array.from({ length: 8 }, (_, j) => plan.emissionAt(j, e).offsetMs);
    expect(offsets).toEqual([0, 125, 250, 375, 500, 625, 750, 875]);
    expect(plan.readingsIn(10_000)).toBe(80);
    const perDevice = new Map<number, number>();
    for (let j = 0; j < 80; j++) {
      const d = plan.emissionAt(j, e).deviceIndex;
      perDevice.set(d, (perDevice.get(d) ?? 0) + 1);
    }
    expect([...perDevice.values()]).toEqual([20, 20, 20, 20]);
  });

  it('cycles each device through its metrics and reads values from the models', () => {
    const plan = new FleetPlan({ seed: 1, devices: 3, rate: 1, startMs: START });
    const e = newEmission();
    const metrics = plan.metricsOf(1);
    for (let k = 0; k < 2 * metrics.length; k++) {
      plan.emissionAt(k * 3 + 1, e);
      expect(e.metric).toBe(metrics[k % metrics.length]);
      expect(e.value).toBe(sensorValue(1, 1, e.metric, e.tMs));
      expect(e.tMs).toBe(START + Math.floor(k * 1000 + 1000 / 3));
    }
  });

  it('applies scenario events only to the selected devices and inside their window', () => {
    const scenario = scenarioWith([
      { kind: 'dropout', devices: [0], at: '10s', until: '20s' },
      { kind: 'stuck', devices: [1], metric: 'temperature', value: 33, at: '0s', until: '5m' },
      { kind: 'clock_skew', devices: [2], skew: '-90s', at: '0s', until: '5m' },
      { kind: 'offset', devices: [3], metric: 'temperature', delta: 10, ramp: '1m', at: '1m', until: '5m' },
    ]);
    const plan = new FleetPlan({ seed: 2, devices: 4, rate: 1, startMs: START, scenario });
    const e = newEmission();
    const at = (device: number, k: number) => plan.emissionAt(k * 4 + device, e);
    expect(at(0, 9).silent).toBeUndefined();
    expect(at(0, 10).silent).toBe('dropout');
    expect(at(0, 20).silent).toBeUndefined();
    const m1 = plan.metricsOf(1).length;
    expect(at(1, 0).value).toBe(33);
    expect(at(1, m1 * 400).value).not.toBe(33);
    expect(at(2, 5).deviceTMs).toBe(at(2, 5).tMs - 90_000);
    const m3 = plan.metricsOf(3).length;
    // Temperature ticks of device 3: full offset at 2m..4m, half way up the ramp at 1m30s.
    const k = Math.ceil(150 / m3) * m3;
    const base = sensorValue(2, 3, 'temperature', START + Math.floor((k + 0.75) * 1000));
    expect(at(3, k).value).toBeCloseTo(base + 10, 5);
  });

  it('adds a metric a scenario acts on to the devices it targets', () => {
    const scenario = scenarioWith([
      {
        kind: 'spike',
        devices: [0, 1, 2, 3],
        metric: 'vibration_rms',
        magnitude: 5,
        probability: 1,
        at: '0s',
        until: '1m',
      },
    ]);
    const plan = new FleetPlan({ seed: 3, devices: 4, rate: 1, startMs: START, scenario });
    for (let d = 0; d < 4; d++) expect(plan.metricsOf(d)).toContain('vibration_rms');
  });
});
