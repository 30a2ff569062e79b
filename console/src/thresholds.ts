/** What the device page draws of the rules in force: each threshold rule's line. */
import type { RuleSpec } from './api.ts';

/** A threshold rule in force for one metric of a device: the line the chart draws. */
export interface ThresholdLine {
  readonly ruleId: string;
  readonly severity: string;
  readonly direction: 'above' | 'below';
  readonly threshold: number;
}

/** The threshold rules' lines, in rule order; rate and stale rules have no level to draw. */
export function thresholdLines(rules: readonly RuleSpec[]): ThresholdLine[] {
  return rules.flatMap((rule) =>
    rule.kind === 'threshold' && Number.isFinite(rule.threshold)
      ? [{ ruleId: rule.id, severity: rule.severity, direction: rule.direction, threshold: rule.threshold }]
      : [],
  );
}
