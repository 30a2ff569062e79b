/**
 * Human-readable alert messages ("temperature 31.2 degC above 30 for 10s"). Values are shown at
 * the metric's declared resolution so a message never reads 30.000000000000004.
 */
import type { RateRule, StaleRule, ThresholdRule } from '../contracts.ts';
import { metricSpec, quantize } from '../metrics.ts';

/** Keeps the message within AlertEvent's 500-character limit whatever the inputs. */
const MAX_MESSAGE_CHARS = 500;

function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function valueWithUnit(metric: string, value: number): string {
  const spec = metricSpec(metric);
  const shown = spec ? quantize(value, spec.decimals) : Number(value.toPrecision(6));
  return spec ? `${num(shown)} ${spec.unit}` : num(shown);
}

function unitSuffix(metric: string): string {
  const spec = metricSpec(metric);
  return spec ? ` ${spec.unit}` : '';
}

export function formatDuration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms >= 1000) return `${num(ms / 1000)}s`;
  return `${ms}ms`;
}

function forHold(holdMs: number): string {
  return holdMs > 0 ? ` for ${formatDuration(holdMs)}` : '';
}

function bounded(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 3)}...`;
}

export function thresholdRaisedMessage(rule: ThresholdRule, metric: string, value: number): string {
  return bounded(
    `${metric} ${valueWithUnit(metric, value)} ${rule.direction} ${num(rule.threshold)}${forHold(rule.raiseHoldMs)}`,
  );
}

export function thresholdClearedMessage(rule: ThresholdRule, metric: string, value: number): string {
  const level =
    rule.direction === 'above'
      ? `at or below ${num(rule.threshold - rule.clearBand)}`
      : `at or above ${num(rule.threshold + rule.clearBand)}`;
  return bounded(`${metric} ${valueWithUnit(metric, value)} cleared: ${level}${forHold(rule.clearHoldMs)}`);
}

export function rateRaisedMessage(rule: RateRule, metric: string, value: number, delta: number): string {
  return bounded(
    `${metric} ${valueWithUnit(metric, value)}: changed by ${num(Number(delta.toPrecision(6)))}${unitSuffix(metric)} ` +
      `within ${formatDuration(rule.windowMs)} (limit ${num(rule.maxDelta)})`,
  );
}

export function rateClearedMessage(rule: RateRule, metric: string, value: number): string {
  return bounded(
    `${metric} ${valueWithUnit(metric, value)} cleared: change within ${num(rule.maxDelta)}${unitSuffix(metric)} ` +
      `per ${formatDuration(rule.windowMs)}${forHold(rule.clearHoldMs)}`,
  );
}

export function staleRaisedMessage(rule: StaleRule, metric: string, lastValue: number): string {
  return bounded(
    `${metric} silent: no reading for ${formatDuration(rule.afterMs)} (last ${valueWithUnit(metric, lastValue)})`,
  );
}

export function staleClearedMessage(metric: string, value: number, gapMs: number): string {
  return bounded(
    `${metric} reporting again: ${valueWithUnit(metric, value)} after ${formatDuration(gapMs)} without readings`,
  );
}
