/**
 * The dead-letter record, one shape for every writer: triage stores what arrives on the
 * dead-letter topic, ingest (and notify) store permanent failures they acknowledge without
 * retrying. The `dlq` CLI reads these documents and replays them to `sourceTopic`.
 *
 * Firestore: `deadLetters/<id>`. Pure: no I/O, the caller passes the receipt time.
 */
import { Timestamp } from '@google-cloud/firestore';

export const DEAD_LETTERS_COLLECTION = 'deadLetters';

/** Reason recorded when Pub/Sub gave up after the subscription's max delivery attempts. */
export const MAX_ATTEMPTS_REASON = 'max delivery attempts exceeded';

/**
 * Message attributes a publisher or function may set to explain a failure; triage copies
 * them into `reason` / `reasonCode` when present.
 */
export const DeadLetterAttributes = {
  reason: 'edgeflow.deadLetterReason',
  reasonCode: 'edgeflow.deadLetterCode',
} as const;

/**
 * Attributes Pub/Sub adds to a message it forwards to a dead-letter topic.
 * https://cloud.google.com/pubsub/docs/handling-failures#track-delivery-attempts
 */
export const PubSubDeadLetterAttributes = {
  sourceSubscription: 'CloudPubSubDeadLetterSourceSubscription',
  sourceSubscriptionProject: 'CloudPubSubDeadLetterSourceSubscriptionProject',
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
  sourceTopicPublishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
} as const;

/**
 * Firestore documents are capped at 1 MiB; a Pub/Sub message may be up to 10 MB. Larger
 * payloads are cut and flagged, and the CLI refuses to replay them.
 */
export const MAX_STORED_PAYLOAD_BYTES = 900_000;

/** The function that gave up on the message (`triage`: Pub/Sub gave up and forwarded it). */
export type DeadLetterSource = 'ingest' | 'notify' | 'triage';

/** Stable code when Pub/Sub itself gave up (no function-level reason). */
export const MAX_ATTEMPTS_CODE = 'EDGEFLOW_MAX_DELIVERY_ATTEMPTS';

export interface DeadLetterInput {
  /** Who records it; with `messageId` it forms the document id (idempotency). */
  readonly source: DeadLetterSource;
  /** Pub/Sub message id of the message as the recorder received it. */
  readonly messageId: string;
  /** Topic to replay to (short name, e.g. `edgeflow-telemetry`); null when unknown. */
  readonly sourceTopic: string | null;
  /** Subscription that failed to process it; null when unknown. */
  readonly subscription: string | null;
  /** Delivery attempts so far, when Pub/Sub reported them. */
  readonly deliveryAttempt: number | null;
  /** Stable code (an `EDGEFLOW_...` error code, or MAX_ATTEMPTS_CODE). */
  readonly code: string;
  /** Human-readable reason, e.g. a codec error message or MAX_ATTEMPTS_REASON. */
  readonly reason: string;
  /** The message's attributes as published (replay republishes exactly these). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The raw message bytes. */
  readonly data: Uint8Array;
  readonly publishTimeMs: number | null;
  readonly recordedAtMs: number;
}

/**
 * The stored document. Field names follow what ingest's Firestore adapter already writes
 * (`source`, `code`, `data`, `recordedAt`, `state`...); `sourceTopic` and the replay fields
 * are optional on read because older writers omit them (the CLI derives the topic from
 * `source` through the topology).
 */
export interface DeadLetterDoc {
  readonly source: DeadLetterSource;
  readonly messageId: string;
  readonly sourceTopic?: string | null;
  readonly subscription: string | null;
  readonly deliveryAttempt: number | null;
  readonly code: string;
  readonly reason: string;
  readonly attributes: Record<string, string>;
  /** Stored as Firestore Bytes; reads back as a Buffer. */
  readonly data: Buffer;
  readonly dataBytes: number;
  readonly truncated: boolean;
  readonly publishTime: Timestamp | null;
  readonly recordedAt: Timestamp;
  /** `open` until the CLI replays it. */
  readonly state: 'open' | 'replayed';
  readonly replayCount?: number;
  readonly replayedAt?: Timestamp | null;
}

/**
 * Document id `<source>-<messageId>`. Message ids are unique per topic and each recorder
 * reads exactly one topic (triage the dead-letter topic, ingest telemetry, notify alerts),
 * so the source keeps ids from different topics apart.
 */
export function deadLetterId(source: DeadLetterSource, messageId: string): string {
  return `${source}-${messageId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 300)}`;
}

/**
 * Builds the document and its id. Writers store it with `create()` and treat ALREADY_EXISTS
 * as success, so a redelivered failure never resets the replay bookkeeping.
 */
export function deadLetterDoc(input: DeadLetterInput): { id: string; doc: DeadLetterDoc } {
  const truncated = input.data.byteLength > MAX_STORED_PAYLOAD_BYTES;
  const bytes = truncated ? input.data.subarray(0, MAX_STORED_PAYLOAD_BYTES) : input.data;
  const doc: DeadLetterDoc = {
    source: input.source,
    messageId: input.messageId,
    sourceTopic: input.sourceTopic,
    subscription: input.subscription,
    deliveryAttempt: input.deliveryAttempt,
    code: input.code,
    reason: input.reason.slice(0, 2000),
    attributes: { ...input.attributes },
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    dataBytes: input.data.byteLength,
    truncated,
    publishTime: input.publishTimeMs === null ? null : Timestamp.fromMillis(input.publishTimeMs),
    recordedAt: Timestamp.fromMillis(input.recordedAtMs),
    state: 'open',
    replayCount: 0,
    replayedAt: null,
  };
  return { id: deadLetterId(input.source, input.messageId), doc };
}

/** `projects/p/topics/t` or `projects/p/subscriptions/s` -> `t` / `s`; a short name stays as is. */
export function shortResourceName(name: string | undefined | null): string | null {
  if (!name) return null;
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) || null : name;
}
