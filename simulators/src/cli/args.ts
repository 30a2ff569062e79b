/**
 * Command-line parsing for edgeflow-simulate. Flags are read as strings and validated here,
 * so a bad command line gets one error naming every problem (commander alone stops at the
 * first). Pure apart from reading the scenario and credentials files the flags name.
 */
import type { Problem } from '@edgeflow/shared';
import { Command, Option } from 'commander';
import { type CredentialsFile, loadCredentials } from '../devices.ts';
import { formatDuration, parseDurationMs } from '../duration.ts';
import { problemsError, SimulatorError, SimulatorErrorCodes } from '../errors.ts';
import { PAYLOAD_FORMATS } from '../payload.ts';
import { type FleetOptions, type FleetOptionsInput, resolveFleetOptions } from '../runner/options.ts';
import { loadScenario, shippedScenarios } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

export type CliRequest =
  | { readonly mode: 'help'; readonly text: string }
  | {
      readonly mode: 'run' | 'check' | 'list';
      readonly json: boolean;
      readonly options: FleetOptions;
      /** Not errors, but worth saying: e.g. a run cut shorter than its scenario. */
      readonly warnings: readonly string[];
    };

/** Flag names for option fields, so errors speak the user's language. */
const FLAG_NAMES: Partial<Record<keyof FleetOptions, string>> = {
  brokerUrl: '--broker',
  devices: '--devices',
  rate: '--rate',
  durationMs: '--duration',
  seed: '--seed',
  qos: '--qos',
  credentials: '--credentials',
  deviceIdPrefix: '--device-prefix',
  payloadFormat: '--payload',
  maxInFlight: '--max-in-flight',
  connectConcurrency: '--connect-concurrency',
  connectWaitMs: '--connect-wait',
  startMs: '--start',
};

export function buildCommand(): Command {
  return new Command('edgeflow-simulate')
    .description(
      'Simulate a fleet of MQTT sensors (temperature, humidity, pressure, CO2, vibration, battery, door) ' +
        'publishing to sensors/<deviceId>/<metric>, optionally playing a scenario of incidents.',
    )
    .option(
      '--broker <url>',
      'MQTT broker URL (default: the credentials file broker, else mqtt://127.0.0.1:1883)',
    )
    .option('--devices <n>', 'number of simulated devices (default: the scenario run, else 10)')
    .option('--rate <hz>', 'readings per second per device (default: the scenario run, else 1)')
    .option(
      '--duration <d>',
      'how long to send, e.g. 500ms, 60s, 10m, 1h30m (default: the scenario run, else 60s)',
    )
    .option(
      '--scenario <name|file>',
      `scenario to play: ${shippedScenarios().join(', ')}, or a YAML/JSON file`,
    )
    .option('--seed <n>', 'seed of every random choice: same seed, same readings (default 42)')
    .option('--qos <0|1>', 'MQTT QoS of publishes (default 1)')
    .option(
      '--credentials <file>',
      'JSON {"broker"?, "devices": [{"deviceId", "password"}]} from `devices provision`',
    )
    .option('--device-prefix <p>', 'device ids without credentials: <p>-00000, <p>-00001, ... (default sim)')
    .addOption(
      new Option('--payload <format>', 'payload encoding (default json)').choices([...PAYLOAD_FORMATS]),
    )
    .option('--max-in-flight <n>', 'QoS 1 publishes awaiting PUBACK per connection (default 16)')
    .option('--connect-concurrency <n>', 'connection attempts in progress at once (default 200)')
    .option('--connect-wait <d>', 'max wait for the fleet to connect before sending starts (default 60s)')
    .option('--start <time>', 'event time of the first reading, ISO 8601 or ms epoch (default: now)')
    .option('--json', 'print the final summary as one JSON object')
    .option(
      '--check',
      'no broker: run the scenario through the shared rule engine and check its expectations',
    )
    .option('--list-scenarios', 'list the shipped scenarios and exit')
    .allowUnknownOption()
    .allowExcessArguments()
    .showHelpAfterError(false);
}

const HELP_EXAMPLES =
  '\nExamples:\n' +
  '  npm run simulate -- --devices 200 --rate 1 --duration 10m --seed 42\n' +
  '  npm run simulate -- --scenario heatwave --broker mqtt://127.0.0.1:1883 --credentials creds.json\n' +
  '  npm run simulate -- --scenario flapping --check\n' +
  '\nOne MQTT connection per device (username = device id); connects are gated (200 at once) and\n' +
  'retried with exponential backoff and full jitter. QoS 1 keeps at most --max-in-flight\n' +
  'unacknowledged publishes per connection; readings beyond it are counted as failed, not queued.\n';

export function helpText(): string {
  return buildCommand().helpInformation() + HELP_EXAMPLES;
}

interface RawFlags {
  broker?: string;
  devices?: string;
  rate?: string;
  duration?: string;
  scenario?: string;
  seed?: string;
  qos?: string;
  credentials?: string;
  devicePrefix?: string;
  payload?: string;
  maxInFlight?: string;
  connectConcurrency?: string;
  connectWait?: string;
  start?: string;
  json?: boolean;
  check?: boolean;
  listScenarios?: boolean;
}

/** Parses argv (without node and script) into a validated request; throws one error listing every problem. */
export function parseCliArgs(argv: readonly string[]): CliRequest {
  const command = buildCommand().exitOverride();
  if (argv.includes('--help') || argv.includes('-h')) return { mode: 'help', text: helpText() };
  command.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const problems: Problem[] = [];
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    // Missing option values and bad --payload choices arrive here; everything else is ours.
    problems.push({ path: '', message: (err as Error).message.replace(/^error: /, '') });
  }
  for (const extra of command.args) {
    problems.push({
      path: extra,
      message: extra.startsWith('-') ? 'is not a known option' : 'is not expected here',
    });
  }
  const flags = command.opts<RawFlags>();
  const mode = flags.listScenarios ? 'list' : flags.check ? 'check' : 'run';

  let scenario: Scenario | undefined;
  if (flags.scenario !== undefined) {
    try {
      scenario = loadScenario(flags.scenario);
    } catch (err) {
      problems.push({ path: '--scenario', message: (err as Error).message });
    }
  }
  let credentials: CredentialsFile | undefined;
  if (flags.credentials !== undefined) {
    try {
      credentials = loadCredentials(flags.credentials);
    } catch (err) {
      problems.push({ path: '--credentials', message: (err as Error).message });
    }
  }
  const input: { -readonly [K in keyof FleetOptionsInput]: FleetOptionsInput[K] } = { scenario, credentials };
  input.brokerUrl = flags.broker ?? credentials?.broker;
  input.devices = integer(problems, '--devices', flags.devices);
  input.rate = number(problems, '--rate', flags.rate);
  input.durationMs = duration(problems, '--duration', flags.duration);
  input.seed = integer(problems, '--seed', flags.seed);
  if (flags.qos !== undefined) {
    if (flags.qos === '0' || flags.qos === '1') input.qos = Number(flags.qos) as 0 | 1;
    else problems.push({ path: '--qos', message: `must be 0 or 1 (got "${flags.qos}")` });
  }
  input.deviceIdPrefix = flags.devicePrefix;
  input.payloadFormat = flags.payload as FleetOptions['payloadFormat'] | undefined;
  input.maxInFlight = integer(problems, '--max-in-flight', flags.maxInFlight);
  input.connectConcurrency = integer(problems, '--connect-concurrency', flags.connectConcurrency);
  input.connectWaitMs = duration(problems, '--connect-wait', flags.connectWait);
  if (flags.start !== undefined) {
    const ms = /^\d+$/.test(flags.start) ? Number(flags.start) : Date.parse(flags.start);
    if (Number.isFinite(ms)) input.startMs = ms;
    else
      problems.push({
        path: '--start',
        message: `must be an ISO 8601 time or ms epoch (got "${flags.start}")`,
      });
  }
  if (mode === 'check' && !scenario && !problems.some((p) => p.path === '--scenario')) {
    problems.push({ path: '--check', message: 'needs --scenario' });
  }

  let options: FleetOptions | undefined;
  try {
    options = resolveFleetOptions(input, FLAG_NAMES);
  } catch (err) {
    if (!(err instanceof SimulatorError)) throw err;
    // Flags already reported as unparseable are not reported twice.
    const reported = new Set(problems.map((p) => p.path));
    for (const p of err.problems) if (!reported.has(p.path)) problems.push(p);
  }
  if (problems.length > 0 || !options) {
    throw problemsError(SimulatorErrorCodes.OPTIONS_INVALID, 'invalid command line', problems);
  }
  const warnings: string[] = [];
  const run = options.scenario?.run;
  if (run && options.durationMs < run.durationMs) {
    warnings.push(
      `--duration ${formatDuration(options.durationMs)} is shorter than scenario "${options.scenario?.name}" ` +
        `(${formatDuration(run.durationMs)}): later events are not played and its expectations do not apply`,
    );
  }
  return { mode, json: flags.json === true, options, warnings };
}

function integer(problems: Problem[], flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text);
  problems.push({ path: flag, message: `must be a whole number (got "${text}")` });
  return undefined;
}

function number(problems: Problem[], flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() !== '' && Number.isFinite(value)) return value;
  problems.push({ path: flag, message: `must be a number (got "${text}")` });
  return undefined;
}

function duration(problems: Problem[], flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms !== undefined && ms >= 0) return ms;
  problems.push({
    path: flag,
    message: `must be a duration such as 500ms, 60s, 10m or 1h30m (got "${text}")`,
  });
  return undefined;
}
