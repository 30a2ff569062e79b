/**
 * The dead-letter record, one shape for every writer: triage stores what arrives on the
 * dead-letter topic, ingest (and notify) store permanent failures they acknowledge without
 * retrying. The `dlq` CLI reads these documents and replays them to `sourceTopic`.
 *
 * Firestore: `deadLetters/<id>`. Pure: no I/O, the caller passes the receipt time.
 */

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
export const MAX_STORED_PAYLOAD_BYTES = 900 * 1024;

export type DeadLetterRecorder = 'triage' | 'ingest' | 'notify';

export interface DeadLetterInput {
  /** Pub/Sub message id of the message being recorded (the key for idempotency). */
  readonly messageId: string;
  /** Topic to replay to (short name, e.g. `edgeflow-telemetry`); null when unknown. */
  readonly sourceTopic: string | null;
  /** Subscription that failed to process it (short name); null when unknown. */
  readonly sourceSubscription: string | null;
  /** Delivery attempts so far, when Pub/Sub reported them. */
  readonly deliveryAttempts: number | null;
  /** Human-readable reason, e.g. a codec error message or MAX_ATTEMPTS_REASON. */
  readonly reason: string;
  /** Stable code when there is one (an `EDGEFLOW_...` error code). */
  readonly reasonCode?: string | null;
  /** The message's attributes as published (replay republishes exactly these). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The raw message bytes. */
  readonly payload: Uint8Array;
  /** RFC 3339 publish time of the original message, when known. */
  readonly publishTime?: string | null;
  readonly recordedBy: DeadLetterRecorder;
  readonly receivedAtMs: number;
}

export interface DeadLetterDoc {
  readonly messageId: string;
  readonly sourceTopic: string | null;
  readonly sourceSubscription: string | null;
  readonly deliveryAttempts: number | null;
  readonly reason: string;
  readonly reasonCode: string | null;
  readonly attributes: Record<string, string>;
  /** Stored as Firestore Bytes; reads back as a Buffer. */
  readonly payload: Buffer;
  readonly payloadBytes: number;
  readonly payloadTruncated: boolean;
  readonly publishTime: string | null;
  readonly recordedBy: DeadLetterRecorder;
  readonly receivedAtMs: number;
  /** Replay bookkeeping, updated by the `dlq` CLI only. */
  readonly replayCount: number;
  readonly replayedAtMs: number | null;
}

/**
 * Document id: `<recordedBy>~<messageId>`. Message ids are unique per topic, and each
 * recorder reads exactly one topic (triage the dead-letter topic, ingest telemetry, notify
 * alerts), so the recorder keeps ids from different topics apart. `/` is not allowed in ids.
 */
export function deadLetterId(recordedBy: DeadLetterRecorder, messageId: string): string {
  return `${recordedBy}~${messageId.replace(/[/\s]/g, '_').slice(0, 300)}`;
}

/**
 * Builds the document and its id. Writers store it with `create()` (and treat
 * ALREADY_EXISTS as success) so a redelivered failure never resets replay bookkeeping.
 */
export function deadLetterDoc(input: DeadLetterInput): { id: string; doc: DeadLetterDoc } {
  const truncated = input.payload.byteLength > MAX_STORED_PAYLOAD_BYTES;
  const bytes = truncated ? input.payload.subarray(0, MAX_STORED_PAYLOAD_BYTES) : input.payload;
  const doc: DeadLetterDoc = {
    messageId: input.messageId,
    sourceTopic: input.sourceTopic,
    sourceSubscription: input.sourceSubscription,
    deliveryAttempts: input.deliveryAttempts,
    reason: input.reason.slice(0, 2000),
    reasonCode: input.reasonCode ?? null,
    attributes: { ...input.attributes },
    payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    payloadBytes: input.payload.byteLength,
    payloadTruncated: truncated,
    publishTime: input.publishTime ?? null,
    recordedBy: input.recordedBy,
    receivedAtMs: input.receivedAtMs,
    replayCount: 0,
    replayedAtMs: null,
  };
  return { id: deadLetterId(input.recordedBy, input.messageId), doc };
}

/** `projects/p/topics/t` or `projects/p/subscriptions/s` -> `t` / `s`; a short name stays as is. */
export function shortResourceName(name: string | undefined | null): string | null {
  if (!name) return null;
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) || null : name;
}
