/**
 * Identifier grammars. Ids appear in MQTT topic levels, Firestore document ids and Pub/Sub
 * attributes, so they exclude everything any of those treat specially: `/`, `+`, `#`, `$`,
 * `.`-only names, whitespace and non-ASCII.
 */

/** Device id: 1-64 chars, ASCII letters, digits, `_` and `-`, starting with a letter or digit. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const DEVICE_ID_MAX_LENGTH = 64;

/** Metric name: 1-32 chars, lower snake case starting with a letter (`temperature`, `co2`). */
export const METRIC_PATTERN = '^[a-z][a-z0-9_]{0,31}$';
export const METRIC_MAX_LENGTH = 32;

/** Gateway id: 3-63 chars, lower case letters, digits and `-`, starting with a letter. */
export const GATEWAY_ID_PATTERN = '^[a-z][a-z0-9-]{2,62}$';
export const GATEWAY_ID_MAX_LENGTH = 63;

/** Rule id: 1-48 chars, lower case letters, digits, `_` and `-`, starting with a letter. */
export const RULE_ID_PATTERN = '^[a-z][a-z0-9_-]{0,47}$';

const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);
const metricRe = new RegExp(METRIC_PATTERN);
const gatewayIdRe = new RegExp(GATEWAY_ID_PATTERN);
const ruleIdRe = new RegExp(RULE_ID_PATTERN);

export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && deviceIdRe.test(value);
}

export function isMetricName(value: unknown): value is string {
  return typeof value === 'string' && metricRe.test(value);
}

export function isGatewayId(value: unknown): value is string {
  return typeof value === 'string' && gatewayIdRe.test(value);
}

export function isRuleId(value: unknown): value is string {
  return typeof value === 'string' && ruleIdRe.test(value);
}

/** Gateway sequence numbers are non-negative safe integers: 2^53 readings outlive any gateway. */
export function isSequence(value: unknown): value is number {
  // Stryker disable next-line ConditionalExpression: Number.isSafeInteger is false for every non-number, so the typeof test only narrows the type
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
