/**
 * Rule sets: merging per-device overrides over fleet defaults, and validating a rule set with
 * one EDGEFLOW_RULE_INVALID error that lists every problem (schema and meaning).
 */
import {
  type RateRule,
  RateRuleSchema,
  type RuleSet,
  type RuleSpec,
  StaleRuleSchema,
  type ThresholdRule,
  ThresholdRuleSchema,
} from '../contracts.ts';
import { EdgeflowError, ErrorCodes, type Problem } from '../errors.ts';
import { isMetricName } from '../ids.ts';
import { metricSpec } from '../metrics.ts';
import { compileChecker, formatProblems } from '../validation.ts';

const NO_RULES: readonly RuleSpec[] = Object.freeze([]);

/** Holds, windows and staleness beyond a week are almost certainly a unit mistake (s vs ms). */
export const MAX_RULE_DURATION_MS = 7 * 24 * 3_600_000;

function own(set: RuleSet | undefined, metric: string): readonly RuleSpec[] | undefined {
  return set !== undefined && Object.hasOwn(set, metric) ? set[metric] : undefined;
}

/**
 * The rules that apply to `metric`: the defaults, with an override of the same rule id
 * replacing the default in place and other overrides appended. Without overrides for the
 * metric the defaults array itself is returned, so callers can compare by identity.
 */
export function rulesFor(
  defaults: RuleSet,
  overrides: RuleSet | undefined,
  metric: string,
): readonly RuleSpec[] {
  const base = own(defaults, metric) ?? NO_RULES;
  const extra = own(overrides, metric);
  if (extra === undefined || extra.length === 0) return base;
  const byId = new Map(extra.map((r) => [r.id, r]));
  const merged = base.map((r) => byId.get(r.id) ?? r);
  const baseIds = new Set(base.map((r) => r.id));
  for (const r of extra) if (!baseIds.has(r.id)) merged.push(r);
  return merged;
}

const kindCheckers = {
  threshold: compileChecker<ThresholdRule>(ThresholdRuleSchema, 'threshold rule'),
  rate: compileChecker<RateRule>(RateRuleSchema, 'rate rule'),
  stale: compileChecker(StaleRuleSchema, 'stale rule'),
} as const;

/**
 * Returns `rules` unchanged when valid; otherwise throws EDGEFLOW_RULE_INVALID whose `problems`
 * (and message) name every problem by JSON pointer. Each rule is checked against the schema of
 * its own `kind`, which reads far better than the errors of the whole union.
 */
export function validateRules(rules: RuleSet): RuleSet {
  const problems: Problem[] = [];
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    problems.push({ path: '/', message: 'must be an object of metric name to rule list' });
  } else {
    for (const [metric, list] of Object.entries(rules as Record<string, unknown>)) {
      checkMetricRules(metric, list, problems);
    }
  }
  if (problems.length > 0) {
    throw new EdgeflowError(ErrorCodes.RULE_INVALID, formatProblems('invalid rules', problems), { problems });
  }
  return rules;
}

function checkMetricRules(metric: string, list: unknown, problems: Problem[]): void {
  const at = `/${metric}`;
  if (!isMetricName(metric)) problems.push({ path: at, message: 'is not a valid metric name' });
  if (!Array.isArray(list)) {
    problems.push({ path: at, message: 'must be an array of rules' });
    return;
  }
  const seen = new Set<string>();
  list.forEach((rule: unknown, i) => {
    const path = `${at}/${i}`;
    if (typeof rule !== 'object' || rule === null) {
      problems.push({ path, message: 'must be a rule object' });
      return;
    }
    const { kind, id } = rule as { kind?: unknown; id?: unknown };
    if (typeof id === 'string') {
      if (seen.has(id))
        problems.push({ path: `${path}/id`, message: `duplicates rule id "${id}" for ${metric}` });
      seen.add(id);
    }
    if (kind !== 'threshold' && kind !== 'rate' && kind !== 'stale') {
      problems.push({ path: `${path}/kind`, message: 'must be one of threshold, rate, stale' });
      return;
    }
    const found = kindCheckers[kind].problems(rule);
    for (const p of found)
      problems.push({ path: p.path === '/' ? path : `${path}${p.path}`, message: p.message });
    if (found.length === 0) checkMeaning(metric, rule as RuleSpec, path, problems);
  });
}

function checkMeaning(metric: string, rule: RuleSpec, path: string, problems: Problem[]): void {
  const spec = metricSpec(metric);
  const durations: Array<[string, number]> =
    rule.kind === 'threshold'
      ? [
          ['raiseHoldMs', rule.raiseHoldMs],
          ['clearHoldMs', rule.clearHoldMs],
        ]
      : rule.kind === 'rate'
        ? [
            ['windowMs', rule.windowMs],
            ['clearHoldMs', rule.clearHoldMs],
          ]
        : [['afterMs', rule.afterMs]];
  for (const [name, ms] of durations) {
    if (ms > MAX_RULE_DURATION_MS) {
      problems.push({
        path: `${path}/${name}`,
        message: `must be at most ${MAX_RULE_DURATION_MS} ms (7 days)`,
      });
    }
  }
  if (rule.kind === 'threshold' && spec) {
    // The gateway rejects readings outside the catalogue range, so such a rule could never fire.
    const unreachable = rule.direction === 'above' ? rule.threshold >= spec.max : rule.threshold <= spec.min;
    if (unreachable) {
      problems.push({
        path: `${path}/threshold`,
        message: `${rule.threshold} can never be crossed ${rule.direction}: ${metric} readings lie in ${spec.min}..${spec.max}`,
      });
    }
    const clearLevel =
      rule.direction === 'above' ? rule.threshold - rule.clearBand : rule.threshold + rule.clearBand;
    if (!unreachable && (clearLevel < spec.min || clearLevel > spec.max)) {
      problems.push({
        path: `${path}/clearBand`,
        message: `puts the clear level at ${clearLevel}, outside ${metric}'s range ${spec.min}..${spec.max}, so the alert could never clear`,
      });
    }
  }
  if (rule.kind === 'rate' && spec && rule.maxDelta >= spec.max - spec.min) {
    problems.push({
      path: `${path}/maxDelta`,
      message: `${rule.maxDelta} is at least ${metric}'s whole range ${spec.min}..${spec.max}, so the rule could never fire`,
    });
  }
}
