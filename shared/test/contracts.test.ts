import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  alertEventChecker,
  type DeviceProfile,
  deviceProfileChecker,
  type Reading,
  readingChecker,
  ruleSetChecker,
} from '../src/index.ts';

const reading: Reading = {
  deviceId: 'dev-1',
  metric: 'temperature',
  tsMs: 1_700_000_000_000,
  value: 21.5,
  seq: 0,
};

describe('Reading', () => {
  it('accepts a well-formed reading', () => expect(readingChecker.check(reading)).toBe(true));

  it.each<[string, Record<string, unknown>]>([
    ['a bad device id', { deviceId: 'dev/1' }],
    ['a bad metric', { metric: 'Temp' }],
    ['NaN', { value: Number.NaN }],
    ['Infinity', { value: Number.POSITIVE_INFINITY }],
    ['a string value', { value: '21.5' }],
    ['an event time in seconds', { tsMs: 1_700_000_000 }],
    ['an event time after 2200', { tsMs: 7_258_118_400_001 }],
    ['a fractional event time', { tsMs: 1_700_000_000_000.5 }],
    ['a negative sequence', { seq: -1 }],
    ['an unsafe sequence', { seq: 2 ** 53 }],
    ['an extra property', { extra: true }],
  ])('rejects %s', (_name, patch) => {
    expect(readingChecker.check({ ...reading, ...patch })).toBe(false);
  });

  it('rejects a reading with a field missing', () => {
    const { seq: _, ...noSeq } = reading;
    expect(readingChecker.problems(noSeq)).toEqual([{ path: '/', message: expect.stringMatching(/seq/) }]);
  });
});

describe('AlertEvent', () => {
  const event: AlertEvent = {
    alertId: 'dev-1.temperature.temperature-high.1700000000000',
    kind: 'raised',
    deviceId: 'dev-1',
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'warning',
    value: 31,
    tsMs: 1_700_000_010_000,
    seq: 3,
    source: 'edge',
    gatewayId: 'gw-1',
    message: 'temperature 31 degC above 30 for 10s',
  };

  it('accepts a well-formed event with and without a gateway id', () => {
    expect(alertEventChecker.check(event)).toBe(true);
    const { gatewayId: _, ...cloud } = event;
    expect(alertEventChecker.check({ ...cloud, source: 'cloud' })).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown kind', { kind: 'acknowledged' }],
    ['an unknown severity', { severity: 'fatal' }],
    ['an unknown source', { source: 'mars' }],
    ['an empty alert id', { alertId: '' }],
    ['a 201-character alert id', { alertId: 'a'.repeat(201) }],
    ['an over-long message', { message: 'm'.repeat(501) }],
  ])('rejects %s', (_name, patch) => {
    expect(alertEventChecker.check({ ...event, ...patch })).toBe(false);
  });
});

describe('RuleSet', () => {
  it('checks that keys are metric names (not just the values)', () => {
    expect(ruleSetChecker.check({ temperature: [] })).toBe(true);
    expect(ruleSetChecker.problems({ Temperature: [] })).toContainEqual({
      path: '/Temperature',
      message: 'is not allowed here',
    });
  });

  it('rejects a rule of the wrong shape for its kind', () => {
    const rule = { id: 'r', kind: 'rate', severity: 'info', maxDelta: 0, windowMs: 1000, clearHoldMs: 0 };
    expect(ruleSetChecker.check({ co2: [rule] })).toBe(false);
    expect(ruleSetChecker.check({ co2: [{ ...rule, maxDelta: 1 }] })).toBe(true);
  });
});

describe('DeviceProfile', () => {
  const profile: DeviceProfile = {
    deviceId: 'dev-1',
    site: 'plant-a',
    name: 'Cold room 1',
    units: { temperature: 'degC' },
    notify: [
      { kind: 'webhook', url: 'https://hooks.example.com/x', format: 'slack' },
      { kind: 'email', to: ['ops@example.com'] },
      { kind: 'log' },
    ],
  };

  it('accepts a profile with every notification kind', () =>
    expect(deviceProfileChecker.check(profile)).toBe(true));

  it('names every problem in one parse error', () => {
    const bad = {
      ...profile,
      site: '',
      units: { Temperature: 'degC' },
      notify: [{ kind: 'webhook', url: 'ftp://x', format: 'json' }],
    };
    try {
      deviceProfileChecker.parse(bad);
      expect.unreachable('parse should throw');
    } catch (err) {
      expect(err).toMatchObject({ code: 'EDGEFLOW_VALIDATION' });
      const paths = (err as { problems: Array<{ path: string }> }).problems.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['/site', '/units/Temperature', '/notify/0/url']));
      expect((err as Error).message).toMatch(/^invalid device profile: /);
    }
  });
});
