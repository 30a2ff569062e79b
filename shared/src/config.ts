/**
 * Config assembly, pure: the caller reads the file and passes `process.env`; this merges
 * environment overrides over the file, fills schema defaults, validates once and freezes.
 * One EDGEFLOW_CONFIG_INVALID error lists every problem, so an operator fixes them in one go.
 *
 * Environment overrides: `<PREFIX>MQTT__PORT=1884` sets `mqtt.port`; `__` separates levels
 * and `SNAKE_CASE` becomes `camelCase` (`OUTBOX__MAX_BYTES` -> `outbox.maxBytes`). Values
 * are parsed as JSON when they parse (numbers, booleans, arrays), otherwise kept as strings;
 * settings the schema declares as strings always keep the raw text.
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { EdgeflowError, ErrorCodes, type Problem } from './errors.ts';
import { compileChecker, formatProblems } from './validation.ts';

export interface BuildConfigOptions<S extends TSchema> {
  readonly schema: S;
  /** The parsed config file (object), or undefined when none was given. */
  readonly file: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** e.g. `EDGEFLOW_GATEWAY_`; variables without it are ignored. */
  readonly envPrefix?: string;
  /** Names the source in the error message, e.g. the file path. */
  readonly source?: string;
}

export function buildConfig<S extends TSchema>(options: BuildConfigOptions<S>): Readonly<Static<S>> {
  const problems: Problem[] = [];
  const fileValue = options.file ?? {};
  if (typeof fileValue !== 'object' || fileValue === null || Array.isArray(fileValue)) {
    problems.push({ path: '/', message: 'config file must hold an object' });
  }
  const merged = structuredClone(problems.length ? {} : fileValue) as Record<string, unknown>;
  if (options.env && options.envPrefix) {
    applyEnvOverrides(merged, options.schema, options.env, options.envPrefix, problems);
  }
  const withDefaults = Value.Default(options.schema, merged);
  // Stryker disable next-line StringLiteral: the name only labels parse errors; problems() is all that is used here
  problems.push(...compileChecker<Static<S>>(options.schema, 'config').problems(withDefaults));
  if (problems.length > 0) {
    const where = options.source ? ` (${options.source})` : '';
    throw new EdgeflowError(ErrorCodes.CONFIG_INVALID, formatProblems(`invalid config${where}`, problems), {
      problems,
    });
  }
  return deepFreeze(withDefaults as Static<S>);
}

/** Override path parts that would not name a setting, or would reach an object's prototype. */
const RESERVED_PATH_PARTS: ReadonlySet<string> = new Set([
  '',
  // Defence in depth: parts come from splitting on `__`, so this one cannot occur.
  // Stryker disable next-line StringLiteral: unreachable (above), and '' is already in the set
  '__proto__',
  'constructor',
  'prototype',
]);

function applyEnvOverrides(
  target: Record<string, unknown>,
  schema: TSchema,
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  problems: Problem[],
): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name
      .slice(prefix.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    if (path.some((p) => RESERVED_PATH_PARTS.has(p))) {
      problems.push({ path: `$${name}`, message: 'is not a valid override name' });
      continue;
    }
    let node = target;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    // A string setting keeps the raw text: a password or id of digits must not become a number.
    node[path[path.length - 1] as string] = isStringSchema(schemaAt(schema, path)) ? raw : parseEnvValue(raw);
  }
}

/** The sub-schema at `path` following object `properties`, or undefined when there is none. */
function schemaAt(schema: unknown, path: readonly string[]): unknown {
  let node = schema;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    const props = (node as { properties?: unknown }).properties;
    if (typeof props !== 'object' || props === null || !Object.hasOwn(props, key)) return undefined;
    node = (props as Record<string, unknown>)[key];
  }
  return node;
}

function isStringSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'string';
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
