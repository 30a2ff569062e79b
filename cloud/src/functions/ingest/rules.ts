/** Wires the shared rule engine (shared/src/rules) into ingest's RuleStepper port. */
import type { DeviceProfile, RuleSet, RuleSpec } from '@edgeflow/shared';
import { DEFAULT_RULES, initialRuleState, ruleStateChecker, rulesFor, stepReading } from '@edgeflow/shared';
import type { RuleStepper } from './shard.ts';

export function sharedRuleStepper(defaults: RuleSet = DEFAULT_RULES): RuleStepper {
  return {
    rulesFor: (profile: DeviceProfile | undefined, metric: string): readonly RuleSpec[] =>
      rulesFor(defaults, profile?.rules, metric),
    initialState: () => initialRuleState(),
    step(rule, state, reading, ctx) {
      // State read back from Firestore is untrusted: a malformed one restarts the rule.
      const prev = ruleStateChecker.check(state) ? state : initialRuleState();
      return stepReading(rule, prev, reading, ctx);
    },
  };
}
