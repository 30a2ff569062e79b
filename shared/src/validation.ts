/**
 * Compiled validators for the contracts. `check*` are the hot-path guards (boolean, no
 * allocation when valid); `parse*` throw an EdgeflowError listing every problem.
 */
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { Settings } from 'typebox/system';
import {
  type AlertEvent,
  AlertEventSchema,
  type DeviceProfile,
  DeviceProfileSchema,
  type Reading,
  ReadingSchema,
  type RuleSet,
  RuleSetSchema,
} from './contracts.ts';
import { EdgeflowError, ErrorCodes, type Problem } from './errors.ts';

export interface Checker<T> {
  /** Type guard; cheap enough for the per-reading path. */
  check(value: unknown): value is T;
  /** Every problem with `value`, as JSON-pointer paths and messages; empty when valid. */
  problems(value: unknown): Problem[];
  /** Returns `value` typed, or throws EDGEFLOW_VALIDATION naming every problem. */
  parse(value: unknown, what?: string): T;
}

/**
 * TypeBox stops collecting errors at `maxErrors` (8 by default); an operator fixing a config
 * must see every problem in one go. Only the (cold) error path pays for this.
 */
function allErrors(validator: Validator, value: unknown): ReturnType<Validator['Errors']> {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 10_000 });
  try {
    return validator.Errors(value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
}

export function compileChecker<T>(schema: TSchema, name: string): Checker<T> {
  const validator = Compile(schema) as unknown as Validator;
  const problems = (value: unknown): Problem[] =>
    validator.Check(value)
      ? []
      : allErrors(validator, value).map((e) => ({ path: e.instancePath || '/', message: readable(e) }));
  return {
    check: (value: unknown): value is T => validator.Check(value),
    problems,
    parse(value: unknown, what = name): T {
      if (validator.Check(value)) return value as T;
      const found = problems(value);
      throw new EdgeflowError(ErrorCodes.VALIDATION, formatProblems(`invalid ${what}`, found), {
        problems: found,
      });
    },
  };
}

/**
 * TypeBox reports a property that `additionalProperties: false` forbids (a `false` schema) as
 * "schema is false", which tells an operator nothing; say what it means.
 */
function readable(error: { keyword: string; message: string }): string {
  return error.keyword === 'boolean' ? 'is not allowed here' : error.message;
}

/** "invalid config: /port must be integer; /devices/0 must match ..." — one line, every problem. */
export function formatProblems(prefix: string, problems: readonly Problem[]): string {
  if (problems.length === 0) return prefix;
  return `${prefix}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`;
}

export const readingChecker = compileChecker<Reading>(ReadingSchema, 'reading');
export const alertEventChecker = compileChecker<AlertEvent>(AlertEventSchema, 'alert event');
export const deviceProfileChecker = compileChecker<DeviceProfile>(DeviceProfileSchema, 'device profile');
export const ruleSetChecker = compileChecker<RuleSet>(RuleSetSchema, 'rule set');
