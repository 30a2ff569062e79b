/**
 * The data contracts shared by gateway, functions and simulators, as TypeBox schemas (JSON
 * Schema at run time, static types at compile time). TypeBox was chosen for validation
 * because its compiled validators are among the fastest in JS (a reading checks in tens of
 * nanoseconds, no per-call allocation when valid), and the same schemas double as JSON
 * Schema for config files and docs.
 */
import Type, { type Static } from 'typebox';
import { DEVICE_ID_PATTERN, GATEWAY_ID_PATTERN, METRIC_PATTERN, RULE_ID_PATTERN } from './ids.ts';

export const DeviceIdSchema = Type.String({ pattern: DEVICE_ID_PATTERN });
export const MetricSchema = Type.String({ pattern: METRIC_PATTERN });
export const GatewayIdSchema = Type.String({ pattern: GATEWAY_ID_PATTERN });
export const RuleIdSchema = Type.String({ pattern: RULE_ID_PATTERN });
export const SequenceSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Event times are ms since the epoch, between 2000-01-01 and 2200-01-01. */
export const EventTimeMsSchema = Type.Integer({ minimum: 946_684_800_000, maximum: 7_258_118_400_000 });

/** One sensor reading as it travels from gateway to cloud. */
export const ReadingSchema = Type.Object(
  {
    deviceId: DeviceIdSchema,
    metric: MetricSchema,
    /** Event time (device clock, or gateway receipt time when the device sent none). */
    tsMs: EventTimeMsSchema,
    /** Finite number; NaN and Infinity are rejected by the schema. */
    value: Type.Number(),
    /** Gateway-assigned, monotonic per gateway, survives restarts. */
    seq: SequenceSchema,
    /**
     * Gateway receipt time, present only when it differs from tsMs (the device stamped the
     * reading). Rules time their holds on it (rules/evaluate.ts ruleTimeMs): a device sets
     * its event time, but cannot make the gateway's clock run faster.
     */
    rxMs: Type.Optional(EventTimeMsSchema),
  },
  { additionalProperties: false },
);
export type Reading = Static<typeof ReadingSchema>;

export const SeveritySchema = Type.Union([
  Type.Literal('info'),
  Type.Literal('warning'),
  Type.Literal('critical'),
]);
export type Severity = Static<typeof SeveritySchema>;

const RuleBase = {
  id: RuleIdSchema,
  severity: SeveritySchema,
};

/**
 * Raise when the value is beyond `threshold` for `raiseHoldMs` of rule time (ruleTimeMs); clear when it
 * is back inside `threshold -/+ clearBand` for `clearHoldMs`. The band is the hysteresis
 * that keeps a value flapping around the threshold to one alert.
 */
export const ThresholdRuleSchema = Type.Object(
  {
    ...RuleBase,
    kind: Type.Literal('threshold'),
    direction: Type.Union([Type.Literal('above'), Type.Literal('below')]),
    threshold: Type.Number(),
    clearBand: Type.Number({ minimum: 0 }),
    raiseHoldMs: Type.Integer({ minimum: 0 }),
    clearHoldMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** Raise when the value changes by more than `maxDelta` (absolute) within `windowMs`. */
export const RateRuleSchema = Type.Object(
  {
    ...RuleBase,
    kind: Type.Literal('rate'),
    maxDelta: Type.Number({ exclusiveMinimum: 0 }),
    windowMs: Type.Integer({ minimum: 1 }),
    clearHoldMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** Raise when no reading arrived for `afterMs` (evaluated on clock ticks); clear on the next reading. */
export const StaleRuleSchema = Type.Object(
  {
    ...RuleBase,
    kind: Type.Literal('stale'),
    afterMs: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const RuleSpecSchema = Type.Union([ThresholdRuleSchema, RateRuleSchema, StaleRuleSchema]);
export type ThresholdRule = Static<typeof ThresholdRuleSchema>;
export type RateRule = Static<typeof RateRuleSchema>;
export type StaleRule = Static<typeof StaleRuleSchema>;
export type RuleSpec = Static<typeof RuleSpecSchema>;

/**
 * Rules per metric: defaults for a fleet, overridden per device (same rule id replaces).
 * `additionalProperties: false` because TypeBox's Record only emits `patternProperties`, which
 * on its own lets keys that are not metric names through unchecked.
 */
export const RuleSetSchema = Type.Record(MetricSchema, Type.Array(RuleSpecSchema), {
  additionalProperties: false,
});
export type RuleSet = Static<typeof RuleSetSchema>;

export const AlertSourceSchema = Type.Union([Type.Literal('edge'), Type.Literal('cloud')]);
export type AlertSource = Static<typeof AlertSourceSchema>;

/** A rule transition. `alertId` names the episode: raised and cleared share it. */
export const AlertEventSchema = Type.Object(
  {
    alertId: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
    deviceId: DeviceIdSchema,
    metric: MetricSchema,
    ruleId: RuleIdSchema,
    ruleKind: Type.Union([Type.Literal('threshold'), Type.Literal('rate'), Type.Literal('stale')]),
    severity: SeveritySchema,
    /** The reading value that caused the transition (last known value for staleness). */
    value: Type.Number(),
    /**
     * Event time of the transition: the causing reading's event time (threshold, rate); for
     * staleness, when the series went stale in rule time (rules/state.ts ruleTimeMs).
     */
    tsMs: EventTimeMsSchema,
    /** Sequence of the reading that caused it; for staleness, of the last reading seen. */
    seq: SequenceSchema,
    source: AlertSourceSchema,
    gatewayId: Type.Optional(GatewayIdSchema),
    message: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type AlertEvent = Static<typeof AlertEventSchema>;

export const NotificationTargetSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('webhook'),
      url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
      format: Type.Union([Type.Literal('json'), Type.Literal('slack')]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('email'),
      to: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), { minItems: 1 }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('log') }, { additionalProperties: false }),
]);
export type NotificationTarget = Static<typeof NotificationTargetSchema>;

/** Device metadata kept in Firestore at `devices/<id>`, used to enrich readings and route alerts. */
export const DeviceProfileSchema = Type.Object(
  {
    deviceId: DeviceIdSchema,
    /**
     * The gateway the device is registered to: the cloud accepts its readings and alerts from
     * that gateway only. A profile without one is bound to no gateway, so nothing is accepted.
     */
    gatewayId: Type.Optional(GatewayIdSchema),
    site: Type.String({ minLength: 1, maxLength: 100 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** Unit per metric, for display; defaults come from the metric catalogue. */
    units: Type.Record(MetricSchema, Type.String({ maxLength: 32 }), { additionalProperties: false }),
    /** Per-device rule overrides, merged over the fleet defaults by rule id. */
    rules: Type.Optional(RuleSetSchema),
    notify: Type.Array(NotificationTargetSchema),
  },
  { additionalProperties: false },
);
export type DeviceProfile = Static<typeof DeviceProfileSchema>;
