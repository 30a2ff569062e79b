/**
 * The scenario file format (YAML or JSON), as a TypeBox schema. Durations are strings such
 * as `90s`, `10m`, `500ms` (or numbers of ms); times are relative to the start of the run.
 */
import { MetricSchema, RuleIdSchema, RuleSetSchema } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { DURATION_PATTERN, SIGNED_DURATION_PATTERN } from '../duration.ts';

export const DurationSchema = Type.Union([
  Type.String({ pattern: DURATION_PATTERN }),
  Type.Integer({ minimum: 0 }),
]);
/** Clock skew may be negative (a device clock running behind). */
export const SignedDurationSchema = Type.Union([
  Type.String({ pattern: SIGNED_DURATION_PATTERN }),
  Type.Integer(),
]);

/** Which devices an event or expectation applies to, by index in the fleet (0-based). */
export const DeviceSelectorSchema = Type.Union([
  Type.Literal('all'),
  Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }),
  Type.Object(
    { from: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  ),
]);
export type DeviceSelector = Static<typeof DeviceSelectorSchema>;

/**
 * Malformed payload variants and the rejection reason the gateway gives each (the reason
 * names of edge/src/ingest/parse.ts). `bad_metric` publishes to a topic whose metric level
 * breaks the metric grammar; the timestamp variants carry a `t` the gateway refuses.
 */
export const MALFORMED_VARIANTS = {
  not_a_number: 'unparsable',
  broken_json: 'unparsable',
  wrong_type: 'unparsable',
  empty: 'unparsable',
  bad_cbor: 'unparsable',
  non_finite: 'non_finite',
  out_of_range: 'out_of_range',
  bad_timestamp: 'past_ts',
  future_timestamp: 'future_ts',
  bad_metric: 'bad_metric',
} as const;
export type MalformedVariant = keyof typeof MALFORMED_VARIANTS;
export type RejectionReason = (typeof MALFORMED_VARIANTS)[MalformedVariant];
export const REJECTION_REASONS: readonly RejectionReason[] = [...new Set(Object.values(MALFORMED_VARIANTS))];

const VariantSchema = Type.Union(Object.keys(MALFORMED_VARIANTS).map((v) => Type.Literal(v)));

const window = {
  devices: DeviceSelectorSchema,
  at: DurationSchema,
  until: DurationSchema,
};
const event = <K extends string, P extends Record<string, Parameters<typeof Type.Object>[0][string]>>(
  kind: K,
  props: P,
) => Type.Object({ kind: Type.Literal(kind), ...window, ...props }, { additionalProperties: false });

/** One schema per event kind: validated by kind, so an error names the fields of that kind only. */
export const EVENT_SCHEMAS = {
  /** Adds `delta` to the metric, ramping in and out over `ramp` (a heatwave, a cold snap). */
  offset: event('offset', {
    metric: MetricSchema,
    delta: Type.Number(),
    ramp: Type.Optional(DurationSchema),
  }),
  /** Each reading gets +-`magnitude` with `probability` (electrical spike noise). */
  spike: event('spike', {
    metric: MetricSchema,
    magnitude: Type.Number({ exclusiveMinimum: 0 }),
    probability: Type.Number({ minimum: 0, maximum: 1 }),
  }),
  /** The sensor repeats one value (`value`, or the value it had at `at`). */
  stuck: event('stuck', { metric: MetricSchema, value: Type.Optional(Type.Number()) }),
  /** The device stays connected but sends nothing (staleness). */
  dropout: event('dropout', {}),
  /** Square wave between `low` and `high` with `period`, starting high (flapping). */
  flap: event('flap', {
    metric: MetricSchema,
    low: Type.Number(),
    high: Type.Number(),
    period: DurationSchema,
  }),
  /** Connections are cut at `at` and come back (backoff, jitter) from `until`; nothing is sent between. */
  reconnect_storm: event('reconnect_storm', {}),
  /** Every `every`-th reading is replaced by a malformed one, cycling through `variants`. */
  malformed: event('malformed', {
    every: Type.Integer({ minimum: 1 }),
    variants: Type.Array(VariantSchema, { minItems: 1 }),
  }),
  /** Every `every`-th reading is published twice (a device retrying after a lost ack). */
  duplicate: event('duplicate', { every: Type.Integer({ minimum: 1 }) }),
  /** The device's clock is off by `skew` (negative: behind); event times carry the skew. */
  clock_skew: event('clock_skew', { skew: SignedDurationSchema }),
} as const;
export type EventKind = keyof typeof EVENT_SCHEMAS;
export const EVENT_KINDS = Object.keys(EVENT_SCHEMAS) as EventKind[];

export const ScenarioEventSchema = Type.Union([
  EVENT_SCHEMAS.offset,
  EVENT_SCHEMAS.spike,
  EVENT_SCHEMAS.stuck,
  EVENT_SCHEMAS.dropout,
  EVENT_SCHEMAS.flap,
  EVENT_SCHEMAS.reconnect_storm,
  EVENT_SCHEMAS.malformed,
  EVENT_SCHEMAS.duplicate,
  EVENT_SCHEMAS.clock_skew,
]);
export type ScenarioEventFile = Static<typeof ScenarioEventSchema>;

const TimeWindowSchema = Type.Tuple([DurationSchema, DurationSchema]);

export const ExpectedAlertSchema = Type.Object(
  {
    devices: DeviceSelectorSchema,
    metric: MetricSchema,
    rule: RuleIdSchema,
    /** The first raise must happen in [from, to] after the start. */
    raise: TimeWindowSchema,
    /** The last episode must clear in [from, to]; `never`: still raised at the end of the run. */
    clear: Type.Union([TimeWindowSchema, Type.Literal('never')]),
    /** Episodes per device over the whole run: exact, or [min, max] for noise-driven alerts. Default 1. */
    count: Type.Optional(
      Type.Union([
        Type.Integer({ minimum: 1 }),
        Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })]),
      ]),
    ),
  },
  { additionalProperties: false },
);

const scenarioFile = <E extends Parameters<typeof Type.Array>[0]>(eventSchema: E) =>
  Type.Object(
    {
      name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
      description: Type.String({ minLength: 1, maxLength: 2000 }),
      /** The run the expectations hold for; CLI flags may change devices (>= needed), rate and duration. */
      run: Type.Object(
        {
          devices: Type.Integer({ minimum: 1 }),
          rate: Type.Number({ exclusiveMinimum: 0 }),
          duration: DurationSchema,
        },
        { additionalProperties: false },
      ),
      /** `default`: the shared DEFAULT_RULES; otherwise the rule set the expectations assume. */
      rules: Type.Union([Type.Literal('default'), RuleSetSchema]),
      events: Type.Array(eventSchema),
      expect: Type.Object(
        {
          /** When true (the default) any alert not listed fails the check. */
          exhaustive: Type.Optional(Type.Boolean()),
          alerts: Type.Array(ExpectedAlertSchema),
          rejections: Type.Array(
            Type.Object(
              {
                reason: Type.Union(REJECTION_REASONS.map((r) => Type.Literal(r))),
                count: Type.Integer({ minimum: 1 }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  );

export const ScenarioFileSchema = scenarioFile(ScenarioEventSchema);
export type ScenarioFile = Static<typeof ScenarioFileSchema>;
/** The file with events left open, so each event is checked against the schema of its own kind. */
export const ScenarioShellSchema = scenarioFile(Type.Unknown());
