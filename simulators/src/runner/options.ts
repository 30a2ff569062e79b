/**
 * Fleet run options: defaults, validation (one error naming every problem) and freezing,
 * shared by the CLI and the programmatic API.
 */
import type { Problem } from '@edgeflow/shared';
import { type CredentialsFile, fleetDevices } from '../devices.ts';
import { problemsError, SimulatorErrorCodes } from '../errors.ts';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../payload.ts';
import type { Scenario } from '../scenario/types.ts';
import type { DeviceCredentials } from './connections.ts';

export interface FleetOptions {
  readonly brokerUrl: string;
  readonly devices: number;
  /** Readings per second per device. */
  readonly rate: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly qos: 0 | 1;
  readonly scenario: Scenario | undefined;
  readonly credentials: CredentialsFile | undefined;
  /** Device ids when no credentials are given: `<prefix>-00000`... */
  readonly deviceIdPrefix: string;
  readonly payloadFormat: PayloadFormat;
  /** QoS 1 publishes awaiting PUBACK per connection; beyond it publishes are counted as failed. */
  readonly maxInFlight: number;
  readonly maxBufferedBytes: number;
  readonly connectConcurrency: number;
  /** How long to wait for the fleet to connect before the clock starts (stragglers keep retrying). */
  readonly connectWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveS: number;
  /** How long to wait for outstanding PUBACKs after the last reading. */
  readonly drainTimeoutMs: number;
  /** Event time of the start of the run (ms epoch); default: the wall clock when sending starts. */
  readonly startMs: number | undefined;
  readonly progressIntervalMs: number;
}

export const FLEET_DEFAULTS = Object.freeze({
  brokerUrl: 'mqtt://127.0.0.1:1883',
  devices: 10,
  rate: 1,
  durationMs: 60_000,
  seed: 42,
  qos: 1 as 0 | 1,
  scenario: undefined,
  credentials: undefined,
  deviceIdPrefix: 'sim',
  payloadFormat: 'json' as PayloadFormat,
  maxInFlight: 16,
  maxBufferedBytes: 64 * 1024,
  connectConcurrency: 200,
  connectWaitMs: 60_000,
  connectTimeoutMs: 10_000,
  keepaliveS: 60,
  drainTimeoutMs: 5_000,
  startMs: undefined,
  progressIntervalMs: 1_000,
});

export type FleetOptionsInput = Partial<FleetOptions>;

const intAtLeast = (
  problems: Problem[],
  name: string,
  v: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) => {
  if (!Number.isInteger(v) || v < min || v > max) {
    problems.push({ path: name, message: `must be an integer from ${min} to ${max} (got ${v})` });
  }
};

/** Fills defaults and checks every field; throws EDGEFLOW_SIM_OPTIONS_INVALID listing all problems. */
export function resolveFleetOptions(
  input: FleetOptionsInput,
  names: Partial<Record<keyof FleetOptions, string>> = {},
): FleetOptions {
  // A scenario's own run (devices, rate, duration) fills whatever the caller left out.
  const run = input.scenario?.run;
  const fromScenario = run ? { devices: run.devices, rate: run.rate, durationMs: run.durationMs } : {};
  const o: FleetOptions = { ...FLEET_DEFAULTS, ...fromScenario, ...stripUndefined(input) };
  const n = (k: keyof FleetOptions) => names[k] ?? k;
  const problems: Problem[] = [];
  if (!/^(mqtt|mqtts|tcp|tls|ws|wss):\/\/[^\s]+$/.test(o.brokerUrl)) {
    problems.push({
      path: n('brokerUrl'),
      message: `must be a URL like mqtt://host:1883 (got "${o.brokerUrl}")`,
    });
  }
  intAtLeast(problems, n('devices'), o.devices, 1, 100_000);
  if (!(Number.isFinite(o.rate) && o.rate > 0 && o.rate <= 1000)) {
    problems.push({
      path: n('rate'),
      message: `must be a number of readings per second per device in (0, 1000] (got ${o.rate})`,
    });
  }
  intAtLeast(problems, n('durationMs'), o.durationMs, 1);
  intAtLeast(problems, n('seed'), o.seed, 0, 0xffffffff);
  if (o.qos !== 0 && o.qos !== 1) problems.push({ path: n('qos'), message: `must be 0 or 1 (got ${o.qos})` });
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,50}$/.test(o.deviceIdPrefix)) {
    problems.push({
      path: n('deviceIdPrefix'),
      message: 'must be 1-51 letters, digits, _ or -, starting with a letter or digit',
    });
  }
  if (!PAYLOAD_FORMATS.includes(o.payloadFormat)) {
    problems.push({
      path: n('payloadFormat'),
      message: `must be one of ${PAYLOAD_FORMATS.join(', ')} (got "${o.payloadFormat}")`,
    });
  }
  intAtLeast(problems, n('maxInFlight'), o.maxInFlight, 1, 65_535);
  intAtLeast(problems, n('maxBufferedBytes'), o.maxBufferedBytes, 1024);
  intAtLeast(problems, n('connectConcurrency'), o.connectConcurrency, 1, 10_000);
  intAtLeast(problems, n('connectWaitMs'), o.connectWaitMs, 0);
  intAtLeast(problems, n('connectTimeoutMs'), o.connectTimeoutMs, 100);
  intAtLeast(problems, n('keepaliveS'), o.keepaliveS, 0, 65_535);
  intAtLeast(problems, n('drainTimeoutMs'), o.drainTimeoutMs, 0);
  intAtLeast(problems, n('progressIntervalMs'), o.progressIntervalMs, 50);
  if (o.startMs !== undefined)
    intAtLeast(problems, n('startMs'), o.startMs, 946_684_800_000, 7_258_118_400_000);
  if (o.credentials && o.credentials.devices.length < o.devices) {
    problems.push({
      path: n('credentials'),
      message: `holds ${o.credentials.devices.length} devices, fewer than the ${o.devices} requested`,
    });
  }
  if (o.scenario && o.scenario.run.devices > o.devices) {
    problems.push({
      path: n('devices'),
      message: `scenario "${o.scenario.name}" needs at least ${o.scenario.run.devices} devices (got ${o.devices})`,
    });
  }
  if (problems.length > 0)
    throw problemsError(SimulatorErrorCodes.OPTIONS_INVALID, 'invalid simulator options', problems);
  return Object.freeze(o);
}

export function devicesOf(o: FleetOptions): DeviceCredentials[] {
  return fleetDevices(o.devices, o.deviceIdPrefix, o.credentials);
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
