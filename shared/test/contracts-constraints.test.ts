/**
 * Every constraint of the contracts, pinned at its edge: the value exactly on a bound is
 * accepted, the first one past it is refused with EDGEFLOW_VALIDATION naming the field. A
 * mutation test removing or shifting any `minimum`, `maxLength`, `pattern` or
 * `additionalProperties: false` fails one of these rows.
 */
import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  alertEventChecker,
  type Checker,
  type DeviceProfile,
  deviceProfileChecker,
  ErrorCodes,
  initialRuleState,
  isEdgeflowError,
  type Reading,
  readingChecker,
  ruleSetChecker,
  ruleStateChecker,
} from '../src/index.ts';
import { RATE_WINDOW_MAX_NUMBERS } from '../src/rules/state.ts';

type Row = readonly [name: string, patch: Record<string, unknown>, path: string];

/** `value` patched is accepted (`path` null) or refused by parse with a problem at `path`. */
function expectVerdict(checker: Checker<unknown>, value: unknown, path: string | null): void {
  if (path === null) {
    expect(checker.problems(value)).toEqual([]);
    expect(checker.parse(value)).toBe(value);
    return;
  }
  expect(checker.check(value)).toBe(false);
  let caught: unknown;
  try {
    checker.parse(value);
  } catch (err) {
    caught = err;
  }
  expect(isEdgeflowError(caught, ErrorCodes.VALIDATION)).toBe(true);
  expect((caught as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toContain(path);
}

function table(
  what: string,
  checker: Checker<unknown>,
  base: Record<string, unknown>,
  accepted: readonly Row[],
  refused: readonly Row[],
): void {
  describe(what, () => {
    it('accepts the base value', () => expectVerdict(checker, base, null));
    it.each(accepted)('accepts %s', (_name, patch) => expectVerdict(checker, { ...base, ...patch }, null));
    it.each(refused)('refuses %s', (_name, patch, path) =>
      expectVerdict(checker, { ...base, ...patch }, path),
    );
  });
}

const MIN_TS = 946_684_800_000;
const MAX_TS = 7_258_118_400_000;

const reading: Reading = {
  deviceId: 'dev-1',
  metric: 'temperature',
  tsMs: 1_700_000_000_000,
  value: 1,
  seq: 0,
};
table(
  'Reading',
  readingChecker,
  reading,
  [
    ['the first event time (2000-01-01)', { tsMs: MIN_TS }, ''],
    ['the last event time (2200-01-01)', { tsMs: MAX_TS }, ''],
    ['the largest safe sequence', { seq: Number.MAX_SAFE_INTEGER }, ''],
    ['a 64-character device id', { deviceId: `d${'x'.repeat(63)}` }, ''],
    ['a 32-character metric', { metric: `m${'x'.repeat(31)}` }, ''],
  ],
  [
    ['an event time 1 ms before 2000', { tsMs: MIN_TS - 1 }, '/tsMs'],
    ['an event time 1 ms after 2200', { tsMs: MAX_TS + 1 }, '/tsMs'],
    ['a sequence of -1', { seq: -1 }, '/seq'],
    ['a fractional sequence', { seq: 1.5 }, '/seq'],
    ['a sequence past the safe range', { seq: Number.MAX_SAFE_INTEGER + 2 }, '/seq'],
    ['a 65-character device id', { deviceId: `d${'x'.repeat(64)}` }, '/deviceId'],
    ['a device id with a topic separator', { deviceId: 'a/b' }, '/deviceId'],
    ['a device id with a trailing newline', { deviceId: 'dev-1\n' }, '/deviceId'],
    ['a 33-character metric', { metric: `m${'x'.repeat(32)}` }, '/metric'],
    ['a metric starting with a digit', { metric: '1temp' }, '/metric'],
    ['an unknown property', { unit: 'degC' }, '/unit'],
  ],
);

const event: AlertEvent = {
  alertId: 'dev-1.temperature.temp-high.1700000000000',
  kind: 'raised',
  deviceId: 'dev-1',
  metric: 'temperature',
  ruleId: 'temp-high',
  ruleKind: 'threshold',
  severity: 'warning',
  value: 31,
  tsMs: 1_700_000_000_000,
  seq: 3,
  source: 'edge',
  gatewayId: 'gw-1',
  message: 'm',
};
table(
  'AlertEvent',
  alertEventChecker,
  event,
  [
    ['a 1-character alert id', { alertId: 'a' }, ''],
    ['a 200-character alert id', { alertId: 'a'.repeat(200) }, ''],
    ['a 500-character message', { message: 'm'.repeat(500) }, ''],
    ['an empty message', { message: '' }, ''],
    ['a 3-character gateway id', { gatewayId: 'gw1' }, ''],
    ['a 63-character gateway id', { gatewayId: `g${'w'.repeat(62)}` }, ''],
    ['a stale rule kind', { ruleKind: 'stale' }, ''],
    ['a rate rule kind', { ruleKind: 'rate' }, ''],
    ['a cleared event', { kind: 'cleared' }, ''],
    ['a critical one', { severity: 'critical' }, ''],
  ],
  [
    // `<gateway>_<seq>` is the ingest bucket key idempotency relies on: `_` must never be in an id.
    ['a gateway id with `_`', { gatewayId: 'gw_1' }, '/gatewayId'],
    ['a 2-character gateway id', { gatewayId: 'gw' }, '/gatewayId'],
    ['a 64-character gateway id', { gatewayId: `g${'w'.repeat(63)}` }, '/gatewayId'],
    ['an upper-case gateway id', { gatewayId: 'GW-1' }, '/gatewayId'],
    ['a gateway id starting with a digit', { gatewayId: '1gw' }, '/gatewayId'],
    ['an upper-case rule id', { ruleId: 'Temp-high' }, '/ruleId'],
    ['a 49-character rule id', { ruleId: `r${'x'.repeat(48)}` }, '/ruleId'],
    ['an unknown rule kind', { ruleKind: 'delta' }, '/ruleKind'],
    ['a 501-character message', { message: 'm'.repeat(501) }, '/message'],
    ['an unknown property', { ack: true }, '/ack'],
    ['a bad device id', { deviceId: '' }, '/deviceId'],
    ['a bad metric', { metric: 'Temp' }, '/metric'],
    ['a bad event time', { tsMs: MAX_TS + 1 }, '/tsMs'],
    ['a bad sequence', { seq: -1 }, '/seq'],
  ],
);

const thresholdRule = {
  id: 'temp-high',
  kind: 'threshold',
  severity: 'warning',
  direction: 'above',
  threshold: 30,
  clearBand: 1,
  raiseHoldMs: 0,
  clearHoldMs: 0,
};
const rateRule = {
  id: 'temp-jump',
  kind: 'rate',
  severity: 'info',
  maxDelta: 5,
  windowMs: 1,
  clearHoldMs: 0,
};
const staleRule = { id: 'temp-stale', kind: 'stale', severity: 'critical', afterMs: 1 };

/** A rule is checked inside a rule set, which is how every caller meets it. */
function ruleTable(
  what: string,
  base: Record<string, unknown>,
  accepted: readonly Row[],
  refused: readonly Row[],
): void {
  describe(`${what} rule`, () => {
    it.each(accepted)('accepts %s', (_name, patch) =>
      expect(ruleSetChecker.problems({ temperature: [{ ...base, ...patch }] })).toEqual([]),
    );
    it.each(refused)('refuses %s', (_name, patch) => {
      const set = { temperature: [{ ...base, ...patch }] };
      expect(ruleSetChecker.check(set)).toBe(false);
      expect(() => ruleSetChecker.parse(set)).toThrow(
        expect.objectContaining({ code: ErrorCodes.VALIDATION }),
      );
    });
  });
}

ruleTable(
  'threshold',
  thresholdRule,
  [
    ['the base rule', {}, ''],
    ['a clear band of 0', { clearBand: 0 }, ''],
    ['holds of 0', { raiseHoldMs: 0, clearHoldMs: 0 }, ''],
    ['direction below', { direction: 'below', clearBand: 0.5 }, ''],
  ],
  [
    ['a negative clear band', { clearBand: -0.001 }, ''],
    ['a raise hold of -1', { raiseHoldMs: -1 }, ''],
    ['a clear hold of -1', { clearHoldMs: -1 }, ''],
    ['a fractional raise hold', { raiseHoldMs: 0.5 }, ''],
    ['an unknown direction', { direction: 'sideways' }, ''],
    ['an unknown property', { hysteresis: 1 }, ''],
    ['a bad rule id', { id: 'Temp' }, ''],
    ['an unknown severity', { severity: 'fatal' }, ''],
  ],
);
ruleTable(
  'rate',
  rateRule,
  [
    ['a window of 1 ms', { windowMs: 1 }, ''],
    ['a tiny positive max delta', { maxDelta: Number.MIN_VALUE }, ''],
    ['a clear hold of 0', { clearHoldMs: 0 }, ''],
  ],
  [
    ['a max delta of 0', { maxDelta: 0 }, ''],
    ['a window of 0', { windowMs: 0 }, ''],
    ['a clear hold of -1', { clearHoldMs: -1 }, ''],
    ['an unknown property', { direction: 'above' }, ''],
  ],
);
ruleTable(
  'stale',
  staleRule,
  [['afterMs of 1', { afterMs: 1 }, '']],
  [
    ['afterMs of 0', { afterMs: 0 }, ''],
    ['an unknown property', { threshold: 1 }, ''],
  ],
);

describe('RuleSet keys', () => {
  it('refuses a key that is not a metric name and accepts one that is', () => {
    expectVerdict(ruleSetChecker, { co2: [] }, null);
    expectVerdict(ruleSetChecker, { 'co2-ppm': [] }, '/co2-ppm');
  });
});

const profile: DeviceProfile = {
  deviceId: 'dev-1',
  site: 's',
  name: 'n',
  units: { temperature: 'degC' },
  notify: [{ kind: 'log' }],
};
table(
  'DeviceProfile',
  deviceProfileChecker,
  profile,
  [
    ['a 100-character site', { site: 's'.repeat(100) }, ''],
    ['a 200-character name', { name: 'n'.repeat(200) }, ''],
    ['a 32-character unit', { units: { temperature: 'u'.repeat(32) } }, ''],
    ['per-device rules', { rules: { temperature: [thresholdRule] } }, ''],
    ['no notification target', { notify: [] }, ''],
    ['an http webhook', { notify: [{ kind: 'webhook', url: 'http://h', format: 'json' }] }, ''],
    [
      'a 2048-character webhook url',
      { notify: [{ kind: 'webhook', url: `https://${'h'.repeat(2040)}`, format: 'slack' }] },
      '',
    ],
    ['an email target', { notify: [{ kind: 'email', to: ['a@b'] }] }, ''],
  ],
  [
    ['an empty site', { site: '' }, '/site'],
    ['a 101-character site', { site: 's'.repeat(101) }, '/site'],
    ['an empty name', { name: '' }, '/name'],
    ['a 201-character name', { name: 'n'.repeat(201) }, '/name'],
    ['a 33-character unit', { units: { temperature: 'u'.repeat(33) } }, '/units/temperature'],
    ['a unit for a key that is not a metric', { units: { Temp: 'degC' } }, '/units/Temp'],
    ['a bad device id', { deviceId: 'a b' }, '/deviceId'],
    [
      'an invalid per-device rule',
      { rules: { temperature: [{ ...thresholdRule, clearBand: -1 }] } },
      '/rules/temperature/0',
    ],
    ['an unknown property', { owner: 'x' }, '/owner'],
    [
      'a webhook that is not http(s)',
      { notify: [{ kind: 'webhook', url: 'ftp://h', format: 'json' }] },
      '/notify/0',
    ],
    [
      'a webhook url with a scheme not at the start',
      { notify: [{ kind: 'webhook', url: 'x https://h', format: 'json' }] },
      '/notify/0',
    ],
    [
      'a 2049-character webhook url',
      { notify: [{ kind: 'webhook', url: `https://${'h'.repeat(2041)}`, format: 'json' }] },
      '/notify/0',
    ],
    [
      'an unknown webhook format',
      { notify: [{ kind: 'webhook', url: 'https://h', format: 'xml' }] },
      '/notify/0',
    ],
    [
      'a webhook with an extra property',
      { notify: [{ kind: 'webhook', url: 'https://h', format: 'json', token: 't' }] },
      '/notify/0',
    ],
    ['an email target with no address', { notify: [{ kind: 'email', to: [] }] }, '/notify/0'],
    ['an address without @', { notify: [{ kind: 'email', to: ['ops'] }] }, '/notify/0'],
    ['an address with two @', { notify: [{ kind: 'email', to: ['a@b@c'] }] }, '/notify/0'],
    ['an address with a space', { notify: [{ kind: 'email', to: ['a b@c'] }] }, '/notify/0'],
    ['an address with text before it', { notify: [{ kind: 'email', to: ['x <a@b>'] }] }, '/notify/0'],
    [
      'an email target with an extra property',
      { notify: [{ kind: 'email', to: ['a@b'], cc: [] }] },
      '/notify/0',
    ],
    ['a log target with an extra property', { notify: [{ kind: 'log', level: 'info' }] }, '/notify/0'],
    ['an unknown target kind', { notify: [{ kind: 'sms' }] }, '/notify/0'],
  ],
);

table(
  'RuleState (persisted)',
  ruleStateChecker,
  { ...initialRuleState() },
  [
    ['a full rate window', { window: Array.from({ length: RATE_WINDOW_MAX_NUMBERS }, (_, i) => i) }, ''],
    ['an open episode', { active: true, episodeStartMs: 5, runStartMs: 5, lastEpisodeMs: 5 }, ''],
    ['a last reading', { lastSeq: 0, lastTsMs: 1, lastValue: -1 }, ''],
  ],
  [
    [
      'a window one number too long',
      { window: Array.from({ length: RATE_WINDOW_MAX_NUMBERS + 1 }, (_, i) => i) },
      '/window',
    ],
    ['another layout version', { v: 2 }, '/v'],
    ['a negative last sequence', { lastSeq: -1 }, '/lastSeq'],
    ['an unknown property', { openedBy: 'x' }, '/openedBy'],
    ['a string where a number goes', { lastTsMs: '1' }, '/lastTsMs'],
    ['a non-boolean active flag', { active: 1 }, '/active'],
  ],
);
