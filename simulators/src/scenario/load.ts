/**
 * Loads a scenario by shipped name (`heatwave`) or path, validates it against the schema
 * and the cross-field rules (windows inside the run, devices inside the fleet, rules that
 * exist), and throws one error naming every problem.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileChecker, type Problem, type RuleSet } from '@edgeflow/shared';
import { parse as parseYaml } from 'yaml';
import { parseDurationMs } from '../duration.ts';
import { problemsError, SimulatorError, SimulatorErrorCodes } from '../errors.ts';
import { SIMULATED_METRICS } from '../models/index.ts';
import {
  EVENT_KINDS,
  EVENT_SCHEMAS,
  type EventKind,
  REJECTION_REASONS,
  type ScenarioEventFile,
  type ScenarioFile,
  ScenarioShellSchema,
} from './schema.ts';
import { type ExpectedAlertSpec, maxSelectedIndex, type Scenario, type ScenarioEvent } from './types.ts';

export const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

const shellChecker = compileChecker<ScenarioFile>(ScenarioShellSchema, 'scenario');
const eventCheckers = Object.fromEntries(
  EVENT_KINDS.map((kind) => [kind, compileChecker<ScenarioEventFile>(EVENT_SCHEMAS[kind], `${kind} event`)]),
) as Record<EventKind, ReturnType<typeof compileChecker<ScenarioEventFile>>>;

const DURATION_FIELDS = /\/(at|until|ramp|period|duration|skew|raise\/\d|clear\/\d)$/;

/**
 * Schema problems, readable: a union (duration, device selector) fails with one message per
 * branch plus "must match a schema in anyOf"; those collapse into one line saying what fits.
 */
function schemaProblems(raw: unknown): Problem[] {
  const found = shellChecker.problems(raw);
  const events = (raw as { events?: unknown })?.events;
  if (Array.isArray(events)) {
    events.forEach((event, i) => {
      const path = `/events/${i}`;
      const kind = (event as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !EVENT_KINDS.includes(kind as EventKind)) {
        found.push({ path: `${path}/kind`, message: `must be one of ${EVENT_KINDS.join(', ')}` });
        return;
      }
      for (const p of eventCheckers[kind as EventKind].problems(event)) {
        found.push({ path: p.path === '/' ? path : `${path}${p.path}`, message: p.message });
      }
    });
  }
  const unions = new Set(found.filter((p) => p.message.includes('anyOf')).map((p) => p.path));
  const out: Problem[] = [];
  for (const p of found) {
    if (!unions.has(p.path)) out.push(p);
    else if (p.message.includes('anyOf')) out.push({ path: p.path, message: unionHint(p.path) });
  }
  return out;
}

function unionHint(path: string): string {
  if (DURATION_FIELDS.test(path)) return 'must be a duration such as 500ms, 90s, 10m or 2m30s';
  if (path.endsWith('/devices')) return 'must be "all", a list of device indices or { from, count }';
  if (path === '/rules') return 'must be "default" or a rule set (metric -> list of rules)';
  if (path.endsWith('/reason')) return `must be one of ${REJECTION_REASONS.join(', ')}`;
  if (path.endsWith('/count')) return 'must be a number of episodes or a [min, max] range';
  if (path.endsWith('/clear')) return 'must be a [from, to] window of durations or "never"';
  return 'has none of the allowed shapes';
}

/** Names of the scenarios shipped in simulators/scenarios (every .yaml there), sorted. */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function resolveScenarioPath(nameOrPath: string): string {
  if (/^[a-z][a-z0-9-]*$/.test(nameOrPath)) {
    const shipped = join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
    if (existsSync(shipped)) return shipped;
  }
  const path = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  if (existsSync(path)) return path;
  throw new SimulatorError(
    SimulatorErrorCodes.SCENARIO_NOT_FOUND,
    `scenario "${nameOrPath}" not found: not a shipped scenario (${shippedScenarios().join(', ')}) and no file at ${path}`,
  );
}

export function loadScenario(nameOrPath: string): Scenario {
  const path = resolveScenarioPath(nameOrPath);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SimulatorError(
      SimulatorErrorCodes.SCENARIO_INVALID,
      `invalid scenario ${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseScenario(raw, path);
}

/** Validates an already parsed scenario document; `source` names it in errors. */
export function parseScenario(raw: unknown, source: string): Scenario {
  const problems = schemaProblems(raw);
  if (problems.length > 0)
    throw problemsError(SimulatorErrorCodes.SCENARIO_INVALID, `invalid scenario ${source}`, problems);
  const file = raw as ScenarioFile;
  const durationMs = ms(file.run.duration);
  const events = file.events.map((e, i) =>
    normalizeEvent(e, `/events/${i}`, durationMs, file.run.devices, problems),
  );
  const alerts = file.expect.alerts.map((a, i) =>
    normalizeExpectedAlert(a, `/expect/alerts/${i}`, durationMs, file.run.devices, file.rules, problems),
  );
  if (durationMs <= 0) problems.push({ path: '/run/duration', message: 'must be longer than 0' });
  if (file.rules !== 'default') checkRuleSet(file.rules, problems);
  const reasons = new Set<string>();
  file.expect.rejections.forEach((r, i) => {
    if (reasons.has(r.reason))
      problems.push({ path: `/expect/rejections/${i}/reason`, message: `"${r.reason}" listed twice` });
    reasons.add(r.reason);
  });
  if (problems.length > 0)
    throw problemsError(SimulatorErrorCodes.SCENARIO_INVALID, `invalid scenario ${source}`, problems);
  return Object.freeze({
    name: file.name,
    description: file.description,
    source,
    run: Object.freeze({ devices: file.run.devices, rate: file.run.rate, durationMs }),
    rules: file.rules,
    events: Object.freeze(events),
    expect: Object.freeze({
      exhaustive: file.expect.exhaustive ?? true,
      alerts: Object.freeze(alerts),
      rejections: Object.freeze(file.expect.rejections.map((r) => ({ reason: r.reason, count: r.count }))),
    }),
  });
}

function ms(value: string | number): number {
  return parseDurationMs(value) ?? Number.NaN;
}

function checkWindow(
  path: string,
  fromMs: number,
  toMs: number,
  durationMs: number,
  problems: Problem[],
  names: [string, string],
): void {
  if (!(fromMs < toMs)) problems.push({ path, message: `${names[0]} must be before ${names[1]}` });
  if (toMs > durationMs) problems.push({ path, message: `${names[1]} is after the end of the run` });
}

function checkDevices(
  path: string,
  selector: ScenarioEventFile['devices'],
  devices: number,
  problems: Problem[],
): void {
  const max = maxSelectedIndex(selector);
  if (max >= devices)
    problems.push({ path: `${path}/devices`, message: `device ${max} is outside run.devices (${devices})` });
}

function checkMetric(path: string, metric: string, problems: Problem[]): void {
  if (!SIMULATED_METRICS.includes(metric)) {
    problems.push({
      path: `${path}/metric`,
      message: `"${metric}" has no sensor model (${SIMULATED_METRICS.join(', ')})`,
    });
  }
}

function normalizeEvent(
  e: ScenarioEventFile,
  path: string,
  durationMs: number,
  devices: number,
  problems: Problem[],
): ScenarioEvent {
  const atMs = ms(e.at);
  const untilMs = ms(e.until);
  checkWindow(path, atMs, untilMs, durationMs, problems, ['at', 'until']);
  checkDevices(path, e.devices, devices, problems);
  const base = { devices: e.devices, atMs, untilMs };
  switch (e.kind) {
    case 'offset': {
      checkMetric(path, e.metric, problems);
      const rampMs = e.ramp === undefined ? 0 : ms(e.ramp);
      if (2 * rampMs > untilMs - atMs)
        problems.push({ path: `${path}/ramp`, message: 'ramp up and down must fit between at and until' });
      return { ...base, kind: e.kind, metric: e.metric, delta: e.delta, rampMs };
    }
    case 'spike':
      checkMetric(path, e.metric, problems);
      return { ...base, kind: e.kind, metric: e.metric, magnitude: e.magnitude, probability: e.probability };
    case 'stuck':
      checkMetric(path, e.metric, problems);
      return { ...base, kind: e.kind, metric: e.metric, value: e.value };
    case 'flap': {
      checkMetric(path, e.metric, problems);
      if (!(e.low < e.high)) problems.push({ path: `${path}/low`, message: 'must be below high' });
      const periodMs = ms(e.period);
      if (!(periodMs > 0)) problems.push({ path: `${path}/period`, message: 'must be longer than 0' });
      return { ...base, kind: e.kind, metric: e.metric, low: e.low, high: e.high, periodMs };
    }
    case 'malformed':
      return { ...base, kind: e.kind, every: e.every, variants: e.variants };
    case 'duplicate':
      return { ...base, kind: e.kind, every: e.every };
    case 'clock_skew':
      return { ...base, kind: e.kind, skewMs: ms(e.skew) };
    default:
      return { ...base, kind: e.kind };
  }
}

function normalizeExpectedAlert(
  a: ScenarioFile['expect']['alerts'][number],
  path: string,
  durationMs: number,
  devices: number,
  rules: ScenarioFile['rules'],
  problems: Problem[],
): ExpectedAlertSpec {
  checkDevices(path, a.devices, devices, problems);
  checkMetric(path, a.metric, problems);
  if (rules !== 'default' && !(rules[a.metric] ?? []).some((r) => r.id === a.rule)) {
    problems.push({ path: `${path}/rule`, message: `no rule "${a.rule}" for metric "${a.metric}" in rules` });
  }
  const raise = { fromMs: ms(a.raise[0]), toMs: ms(a.raise[1]) };
  checkWindow(`${path}/raise`, raise.fromMs, raise.toMs, durationMs, problems, ['from', 'to']);
  let clear: ExpectedAlertSpec['clear'] = 'never';
  if (a.clear !== 'never') {
    clear = { fromMs: ms(a.clear[0]), toMs: ms(a.clear[1]) };
    checkWindow(`${path}/clear`, clear.fromMs, clear.toMs, durationMs, problems, ['from', 'to']);
    if (clear.toMs < raise.fromMs)
      problems.push({ path: `${path}/clear`, message: 'window ends before the raise window starts' });
  }
  const count = Array.isArray(a.count)
    ? { min: a.count[0], max: a.count[1] }
    : { min: a.count ?? 1, max: a.count ?? 1 };
  if (count.min > count.max) problems.push({ path: `${path}/count`, message: 'min must not exceed max' });
  return { devices: a.devices, metric: a.metric, rule: a.rule, raise, clear, count };
}

function checkRuleSet(rules: RuleSet, problems: Problem[]): void {
  for (const [metric, specs] of Object.entries(rules)) {
    const ids = new Set<string>();
    specs.forEach((spec, i) => {
      if (ids.has(spec.id))
        problems.push({ path: `/rules/${metric}/${i}/id`, message: `"${spec.id}" used twice for ${metric}` });
      ids.add(spec.id);
    });
  }
}
