/** A scenario after validation: durations in ms, defaults filled, frozen. */
import type { RuleSet } from '@edgeflow/shared';
import type { DeviceSelector, MalformedVariant, RejectionReason } from './schema.ts';

export type { DeviceSelector, MalformedVariant, RejectionReason } from './schema.ts';

interface EventWindow {
  readonly devices: DeviceSelector;
  readonly atMs: number;
  readonly untilMs: number;
}

export type ScenarioEvent = EventWindow &
  (
    | { readonly kind: 'offset'; readonly metric: string; readonly delta: number; readonly rampMs: number }
    | {
        readonly kind: 'spike';
        readonly metric: string;
        readonly magnitude: number;
        readonly probability: number;
      }
    | { readonly kind: 'stuck'; readonly metric: string; readonly value: number | undefined }
    | { readonly kind: 'dropout' }
    | {
        readonly kind: 'flap';
        readonly metric: string;
        readonly low: number;
        readonly high: number;
        readonly periodMs: number;
      }
    | { readonly kind: 'reconnect_storm' }
    | { readonly kind: 'malformed'; readonly every: number; readonly variants: readonly MalformedVariant[] }
    | { readonly kind: 'duplicate'; readonly every: number }
    | { readonly kind: 'clock_skew'; readonly skewMs: number }
  );

export interface TimeWindowMs {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ExpectedAlertSpec {
  readonly devices: DeviceSelector;
  readonly metric: string;
  readonly rule: string;
  readonly raise: TimeWindowMs;
  /** Window for the clear of the last episode; `never`: it is still open at the end of the run. */
  readonly clear: TimeWindowMs | 'never';
  /** Episodes (raises) per device, inclusive bounds. */
  readonly count: { readonly min: number; readonly max: number };
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Where it was loaded from (file path), for messages. */
  readonly source: string;
  readonly run: { readonly devices: number; readonly rate: number; readonly durationMs: number };
  readonly rules: 'default' | RuleSet;
  readonly events: readonly ScenarioEvent[];
  readonly expect: {
    readonly exhaustive: boolean;
    readonly alerts: readonly ExpectedAlertSpec[];
    readonly rejections: readonly { readonly reason: RejectionReason; readonly count: number }[];
  };
}

/** Device indices a selector picks in a fleet of `devices`. */
export function selectedDevices(selector: DeviceSelector, devices: number): number[] {
  if (selector === 'all') return Array.from({ length: devices }, (_, i) => i);
  if (Array.isArray(selector)) return [...new Set(selector)].filter((i) => i < devices).sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = selector.from; i < Math.min(devices, selector.from + selector.count); i++) out.push(i);
  return out;
}

/** Highest device index a selector names explicitly (-1 for `all`). */
export function maxSelectedIndex(selector: DeviceSelector): number {
  if (selector === 'all') return -1;
  if (Array.isArray(selector)) return Math.max(...selector);
  return selector.from + selector.count - 1;
}
