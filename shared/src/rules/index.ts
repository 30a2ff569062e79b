export { DEFAULT_RULES } from './defaults.ts';
export {
  DEFAULT_MAX_SERIES,
  RuleEngine,
  type RuleEngineOptions,
  type RuleEngineSnapshot,
  type RuleEngineStats,
} from './engine.ts';
export {
  alertIdFor,
  applyReading,
  applyTick,
  type RuleContext,
  type Step,
  stepReading,
  stepTick,
} from './evaluate.ts';
export { formatDuration } from './format.ts';
export { MAX_RULE_DURATION_MS, rulesFor, validateRules } from './ruleset.ts';
export {
  classifyReading,
  cloneRuleState,
  initialRuleState,
  RATE_BUCKETS,
  type ReadingDisposition,
  type RuleState,
  RuleStateSchema,
  ruleStateChecker,
  ruleTimeMs,
} from './state.ts';
