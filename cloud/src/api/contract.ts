/**
 * The /v1 HTTP API's response contract, as TypeBox schemas (JSON Schema at run time, static
 * types at compile time): the one source of the OpenAPI document (openapi.ts renders
 * openapi.json from these), of the types the console builds against, and of the validators
 * the tests check every response with. Stable: extend (new optional fields, new endpoints),
 * never change a field's meaning.
 *
 * Conventions: times are epoch milliseconds (`...Ms`) or null when unknown; lists are
 * `{ items, nextCursor }` with an opaque cursor (null on the last page); every error is
 * `{ error: { code, message, problems } }`.
 */
import { RuleSpecSchema } from '@edgeflow/shared';
import Type, { type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const TimeMs = Type.Integer({ description: 'epoch milliseconds' });
const Count = Type.Integer({ minimum: 0 });

export const SeveritySchema = Type.Union([
  Type.Literal('info'),
  Type.Literal('warning'),
  Type.Literal('critical'),
]);

// ---- errors ------------------------------------------------------------------------------

export const ApiProblemSchema = Type.Object(
  {
    /** Where: `/query/<param>`, `/path/<param>` or `/body/<field>`. */
    path: Type.String(),
    /** What, per problem: EDGEFLOW_API_BAD_TIME, ..._END_BEFORE_START, ..._TOO_MANY_POINTS, ... */
    code: Type.String(),
    message: Type.String(),
    /** TOO_MANY_POINTS: the smallest interval (ms) whose point count fits the cap. */
    minIntervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ApiProblem = Static<typeof ApiProblemSchema>;

export const ErrorResponseSchema = Type.Object(
  {
    error: Type.Object(
      {
        /** EDGEFLOW_API_BAD_REQUEST (400), _NOT_FOUND (404), _CONFLICT (409), _READ_CAP (422), ... */
        code: Type.String(),
        message: Type.String(),
        problems: Type.Array(ApiProblemSchema),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ErrorResponse = Static<typeof ErrorResponseSchema>;

// ---- devices -----------------------------------------------------------------------------

export const DeviceStateSchema = Type.Union([
  Type.Literal('ok'),
  Type.Literal('alerting'),
  Type.Literal('stale'),
  Type.Literal('unregistered'),
]);
export type DeviceState = Static<typeof DeviceStateSchema>;

export const LatestValueSchema = Type.Object(
  {
    v: Type.Number(),
    tsMs: TimeMs,
    seq: Count,
    /** From the device's profile; null when the device or metric has none. */
    unit: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type LatestValue = Static<typeof LatestValueSchema>;

export const DeviceSummarySchema = Type.Object(
  {
    deviceId: Type.String(),
    gatewayId: Type.String(),
    /** From the profile; null for an unregistered device. */
    site: Nullable(Type.String()),
    name: Nullable(Type.String()),
    profile: Nullable(Type.String()),
    /** metric -> last value persisted. */
    metrics: Type.Record(Type.String(), LatestValueSchema),
    lastSeenMs: Nullable(TimeMs),
    /** unregistered > alerting (an open or acknowledged alert) > stale (nothing for staleAfterMs) > ok. */
    state: DeviceStateSchema,
    /** Alerts in state open or acknowledged. */
    openAlerts: Count,
  },
  { additionalProperties: false },
);
export type DeviceSummary = Static<typeof DeviceSummarySchema>;

export const DeviceListSchema = Type.Object(
  {
    items: Type.Array(DeviceSummarySchema),
    nextCursor: Nullable(Type.String()),
    /** Devices after filtering, across all pages. */
    total: Count,
  },
  { additionalProperties: false },
);
export type DeviceList = Static<typeof DeviceListSchema>;

/**
 * GET /v1/devices/{id}: the device as the list shows it, and the rules in force for it per
 * metric, exactly as ingest evaluates them: the fleet defaults (EDGEFLOW_INGEST_DEFAULT_RULES,
 * else the shared DEFAULT_RULES) merged with the profile's overrides by rule id (shared
 * `rulesFor`). A rule is a RuleSpec as in shared/src/contracts.ts (threshold | rate | stale);
 * a threshold rule clears inside `threshold -/+ clearBand`.
 */
export const DeviceDetailSchema = Type.Object(
  {
    device: DeviceSummarySchema,
    /** metric -> the rules in force, in evaluation order; metrics without rules are absent. */
    rules: Type.Record(Type.String(), Type.Array(RuleSpecSchema)),
  },
  { additionalProperties: false },
);
export type DeviceDetail = Static<typeof DeviceDetailSchema>;

// ---- series (uPlot-ready columns) ----------------------------------------------------------

export const AggSchema = Type.Union([
  Type.Literal('avg'),
  Type.Literal('min'),
  Type.Literal('max'),
  Type.Literal('last'),
  Type.Literal('count'),
]);
export type Agg = Static<typeof AggSchema>;

export const SeriesSchema = Type.Object(
  {
    deviceId: Type.String(),
    metric: Type.String(),
    unit: Nullable(Type.String()),
    /** `raw`: one point per reading; `downsampled`: one point per interval. */
    resolution: Type.Union([Type.Literal('raw'), Type.Literal('downsampled')]),
    /** Null when raw. */
    intervalMs: Nullable(Type.Integer({ minimum: 1 })),
    /** Null when raw. */
    agg: Nullable(AggSchema),
    /** The range asked for, [startMs, endMs). */
    startMs: TimeMs,
    endMs: TimeMs,
    points: Type.Object(
      {
        /** Raw: reading time; downsampled: interval start (aligned to multiples of intervalMs). */
        t: Type.Array(Type.Number()),
        /** Null for an interval without readings (count: 0). */
        v: Type.Array(Nullable(Type.Number())),
        /** Raw readings each point summarises (after dedup). */
        n: Type.Array(Count),
      },
      { additionalProperties: false },
    ),
    /** Raw readings in range after dedup, and duplicates dropped. */
    readings: Count,
    duplicates: Count,
  },
  { additionalProperties: false },
);
export type Series = Static<typeof SeriesSchema>;

// ---- alerts (event-sourced) ----------------------------------------------------------------

export const AlertStateSchema = Type.Union([
  Type.Literal('open'),
  Type.Literal('acknowledged'),
  Type.Literal('resolved'),
]);
export type AlertStateName = Static<typeof AlertStateSchema>;

export const AlertSummarySchema = Type.Object(
  {
    alertId: Type.String(),
    deviceId: Type.String(),
    metric: Type.String(),
    ruleId: Type.String(),
    ruleKind: Type.String(),
    severity: SeveritySchema,
    gatewayId: Nullable(Type.String()),
    state: AlertStateSchema,
    value: Type.Number(),
    message: Type.String(),
    raisedAtMs: Nullable(TimeMs),
    clearedAtMs: Nullable(TimeMs),
    clearedValue: Nullable(Type.Number()),
    ackedAtMs: Nullable(TimeMs),
    ackedBy: Nullable(Type.String()),
    resolvedAtMs: Nullable(TimeMs),
    resolvedBy: Nullable(Type.String()),
    source: Type.String(),
    sources: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type AlertSummary = Static<typeof AlertSummarySchema>;

export const AlertHistoryEventSchema = Type.Object(
  {
    /** Deterministic: a redelivered transition or attempt never appears twice. */
    eventId: Type.String(),
    type: Type.Union([
      Type.Literal('raised'),
      Type.Literal('cleared'),
      Type.Literal('delivery'),
      Type.Literal('ack'),
      Type.Literal('resolve'),
    ]),
    atMs: TimeMs,
    /** ack/resolve: the operator; raised/cleared: the reporting source (edge|cloud); delivery: null. */
    by: Nullable(Type.String()),
    note: Nullable(Type.String()),
    /** raised/cleared: the reading's value. */
    value: Nullable(Type.Number()),
    /** delivery only. */
    delivery: Nullable(
      Type.Object(
        {
          kind: Type.String(),
          channel: Type.String(),
          attempt: Type.Integer({ minimum: 1 }),
          outcome: Type.String(),
          error: Nullable(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AlertHistoryEvent = Static<typeof AlertHistoryEventSchema>;

export const AlertListSchema = Type.Object(
  {
    items: Type.Array(AlertSummarySchema),
    nextCursor: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type AlertList = Static<typeof AlertListSchema>;

export const AlertDetailSchema = Type.Object(
  {
    alert: AlertSummarySchema,
    /** Oldest first (by atMs, then eventId). */
    events: Type.Array(AlertHistoryEventSchema),
  },
  { additionalProperties: false },
);
export type AlertDetail = Static<typeof AlertDetailSchema>;

/** Body of POST /v1/alerts/{id}:ack and :resolve (optional; `{}` or no body is fine). */
export const AlertActionBodySchema = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);
export type AlertActionBody = Static<typeof AlertActionBodySchema>;

export const AlertActionResultSchema = Type.Object(
  {
    alert: AlertSummarySchema,
    /** False when the alert was already in the asked-for state (idempotent repeat). */
    changed: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AlertActionResult = Static<typeof AlertActionResultSchema>;

// ---- dead letters --------------------------------------------------------------------------

export const DeadLetterSummarySchema = Type.Object(
  {
    id: Type.String(),
    recordedAtMs: Nullable(TimeMs),
    source: Type.String(),
    subscription: Nullable(Type.String()),
    deliveryAttempt: Nullable(Type.Integer()),
    code: Type.String(),
    reason: Type.String(),
    dataBytes: Count,
    state: Type.String(),
    replayCount: Count,
    /** The payload's first 64 bytes as printable text (non-printables as '.'), for lists. */
    previewText: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type DeadLetterSummary = Static<typeof DeadLetterSummarySchema>;

export const DeadLetterListSchema = Type.Object(
  {
    items: Type.Array(DeadLetterSummarySchema),
    nextCursor: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type DeadLetterList = Static<typeof DeadLetterListSchema>;

export const DeadLetterDetailSchema = Type.Object(
  {
    letter: DeadLetterSummarySchema,
    messageId: Nullable(Type.String()),
    sourceTopic: Nullable(Type.String()),
    publishTimeMs: Nullable(TimeMs),
    replayedAtMs: Nullable(TimeMs),
    truncated: Type.Boolean(),
    attributes: Type.Record(Type.String(), Type.String()),
    /** A telemetry batch's decoded header, when it decodes that far. */
    header: Nullable(Type.Record(Type.String(), Type.Unknown())),
    headerError: Nullable(Type.String()),
    /** First 256 bytes, hex. */
    previewHex: Type.String(),
    /** Printable text preview of the first 256 bytes (non-printables as '.'). */
    previewText: Type.String(),
  },
  { additionalProperties: false },
);
export type DeadLetterDetail = Static<typeof DeadLetterDetailSchema>;

export const ReplayResultSchema = Type.Object(
  {
    id: Type.String(),
    topic: Type.String(),
    messageId: Type.String(),
    replayCount: Count,
  },
  { additionalProperties: false },
);
export type ReplayResultBody = Static<typeof ReplayResultSchema>;

// ---- gateways ------------------------------------------------------------------------------

export const SeqGapSchema = Type.Object(
  { fromSeq: Count, toSeq: Count, detectedAtMs: TimeMs },
  { additionalProperties: false },
);

export const GatewayHealthSchema = Type.Object(
  {
    outboxRecords: Count,
    outboxBytes: Count,
    oldestUnsentAgeMs: Count,
    evictedReadings: Count,
    rejectedByReason: Type.Record(Type.String(), Count),
    clientsConnected: Count,
    rulesVersion: Nullable(Type.Integer()),
    uptimeS: Type.Number({ minimum: 0 }),
    rssBytes: Count,
    reportedAtMs: TimeMs,
  },
  { additionalProperties: false },
);
export type GatewayHealthBody = Static<typeof GatewayHealthSchema>;

export const GatewayViewSchema = Type.Object(
  {
    gatewayId: Type.String(),
    lastBatchAtMs: Nullable(TimeMs),
    newestReadingAtMs: Nullable(TimeMs),
    /** now - newestReadingAtMs at the time of the request. */
    uplinkLagMs: Nullable(Type.Integer()),
    lastSeq: Nullable(Count),
    seqGapCount: Count,
    /** The most recent gaps, at most 20, oldest first. */
    recentGaps: Type.Array(SeqGapSchema),
    /** The gateway's own state as carried in its last batch; null for old gateways. */
    health: Nullable(GatewayHealthSchema),
  },
  { additionalProperties: false },
);
export type GatewayView = Static<typeof GatewayViewSchema>;

export const GatewayListSchema = Type.Object(
  { items: Type.Array(GatewayViewSchema) },
  { additionalProperties: false },
);
export type GatewayList = Static<typeof GatewayListSchema>;

// ---- stream (SSE) --------------------------------------------------------------------------

/** `event: alert` data: the alert record after a transition (raise, clear, ack, resolve). */
export const StreamAlertEventSchema = AlertSummarySchema;

/** `event: latest` data: one series' latest value as persisted. */
export const StreamLatestEventSchema = Type.Object(
  {
    gatewayId: Type.String(),
    deviceId: Type.String(),
    metric: Type.String(),
    v: Type.Number(),
    tsMs: TimeMs,
    seq: Count,
  },
  { additionalProperties: false },
);
export type StreamLatestEvent = Static<typeof StreamLatestEventSchema>;

/** Named schemas, as the OpenAPI document's `components.schemas`. */
export const CONTRACT_SCHEMAS = {
  ErrorResponse: ErrorResponseSchema,
  DeviceList: DeviceListSchema,
  DeviceDetail: DeviceDetailSchema,
  Series: SeriesSchema,
  AlertList: AlertListSchema,
  AlertDetail: AlertDetailSchema,
  AlertActionBody: AlertActionBodySchema,
  AlertActionResult: AlertActionResultSchema,
  DeadLetterList: DeadLetterListSchema,
  DeadLetterDetail: DeadLetterDetailSchema,
  ReplayResult: ReplayResultSchema,
  GatewayList: GatewayListSchema,
  StreamAlertEvent: StreamAlertEventSchema,
  StreamLatestEvent: StreamLatestEventSchema,
} as const;
export type ContractSchemaName = keyof typeof CONTRACT_SCHEMAS;
