import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEVICE_ID_MAX_LENGTH,
  GATEWAY_ID_MAX_LENGTH,
  isDeviceId,
  isGatewayId,
  isMetricName,
  isRuleId,
  isSequence,
  METRIC_MAX_LENGTH,
} from '../src/index.ts';

describe('id grammars', () => {
  const table: Array<[string, (v: unknown) => boolean, string[], unknown[]]> = [
    [
      'device id',
      isDeviceId,
      ['d', '0', 'dev-1', 'Sensor_A-9', 'a'.repeat(DEVICE_ID_MAX_LENGTH)],
      [
        '',
        '-dev',
        '_dev',
        'dev/1',
        'dev+1',
        'dev#',
        '$SYS',
        'dev.1',
        'dev 1',
        'dév',
        'a'.repeat(DEVICE_ID_MAX_LENGTH + 1),
        7,
        null,
      ],
    ],
    [
      'metric name',
      isMetricName,
      ['co2', 'temperature', 'vibration_rms', 'a'.repeat(METRIC_MAX_LENGTH)],
      ['', 'Temperature', '2co2', '_x', 'battery-v', 'a.b', 'a'.repeat(METRIC_MAX_LENGTH + 1), undefined],
    ],
    [
      'gateway id',
      isGatewayId,
      ['gw1', 'site-a-gw', 'a'.repeat(GATEWAY_ID_MAX_LENGTH)],
      ['gw', 'Gw1', '1gw', 'gw_1', 'gw/1', 'a'.repeat(GATEWAY_ID_MAX_LENGTH + 1), {}],
    ],
    [
      'rule id',
      isRuleId,
      ['t', 'temperature-high', 'co2_high', 'a'.repeat(48)],
      ['', 'High', '1x', '-x', 'x.y', 'x/y', 'a'.repeat(49), 1],
    ],
  ];

  describe.each(table)('%s', (_name, guard, valid, invalid) => {
    it.each(valid)('accepts %j', (v) => expect(guard(v)).toBe(true));
    it.each(invalid)('rejects %j', (v) => expect(guard(v)).toBe(false));
  });

  it('never accepts a character that MQTT topics, Firestore paths or Pub/Sub treat specially', () => {
    const special = fc.constantFrom('/', '+', '#', '$', '.', ' ', '\n', '\u0000', 'é');
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), special, fc.string({ maxLength: 20 }), (a, c, b) => {
        const id = `${a}${c}${b}`;
        expect(isDeviceId(id) || isMetricName(id) || isGatewayId(id) || isRuleId(id)).toBe(false);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('isSequence', () => {
  it.each([0, 1, 2 ** 40, Number.MAX_SAFE_INTEGER])('accepts %d', (v) => expect(isSequence(v)).toBe(true));
  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY, '1', null])(
    'rejects %j',
    (v) => expect(isSequence(v)).toBe(false),
  );
});
