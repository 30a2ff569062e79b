/**
 * Triage, the pure part: turn a message from the dead-letter topic into a dead-letter
 * record. Pub/Sub forwards a message there after the source subscription's max delivery
 * attempts and adds `CloudPubSubDeadLetter*` attributes saying where it came from; those
 * are bookkeeping, not the publisher's, so they are lifted out of `attributes` (a replay
 * republishes exactly the publisher's attributes).
 */
import { type Topology, topicOfSubscription, topologyFor } from '@edgeflow/shared';
import {
  DeadLetterAttributes,
  type DeadLetterInput,
  MAX_ATTEMPTS_CODE,
  MAX_ATTEMPTS_REASON,
  PubSubDeadLetterAttributes,
  shortResourceName,
} from './dead-letter.ts';

/** The Pub/Sub CloudEvent payload (google.cloud.pubsub.topic.v1.messagePublished). */
export interface PubSubMessagePublished {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    publishTime?: string;
  };
  /** Present on CloudEvents from Eventarc; functions-framework's push conversion drops it. */
  subscription?: string;
  deliveryAttempt?: number;
}

const BOOKKEEPING_PREFIX = 'CloudPubSubDeadLetter';

/**
 * The Pub/Sub payload of an event, however it arrived. functions-framework converts a raw
 * push body into a CloudEvent only when `message.data` is non-empty; a message with
 * attributes only reaches the handler unconverted, with `message` / `subscription` as
 * top-level fields and no `id` or `data`.
 */
export function pubsubPayload(event: { id?: string; data?: unknown; [key: string]: unknown }): {
  eventId: string;
  data: PubSubMessagePublished | undefined;
} {
  if (event.data !== undefined) {
    return { eventId: String(event.id ?? ''), data: event.data as PubSubMessagePublished };
  }
  const message = event.message as PubSubMessagePublished['message'] | undefined;
  if (message && typeof message === 'object') {
    const raw: PubSubMessagePublished = { message };
    if (typeof event.subscription === 'string') raw.subscription = event.subscription;
    return { eventId: String(event.id ?? message.messageId ?? ''), data: raw };
  }
  return { eventId: String(event.id ?? ''), data: undefined };
}

export function toDeadLetterInput(
  eventId: string,
  data: PubSubMessagePublished | undefined,
  recordedAtMs: number,
  topology: Topology = topologyFor([]),
): DeadLetterInput {
  const message = data?.message ?? {};
  const all = message.attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (!k.startsWith(BOOKKEEPING_PREFIX)) attributes[k] = v;

  const subscription = shortResourceName(all[PubSubDeadLetterAttributes.sourceSubscription]);
  const sourceTopic = subscription ? (topicOfSubscription(subscription, topology) ?? null) : null;
  const countAttr = Number(all[PubSubDeadLetterAttributes.deliveryCount]);
  const deliveryAttempt = Number.isInteger(countAttr) && countAttr > 0 ? countAttr : null;
  const publishTimeMs = Date.parse(
    all[PubSubDeadLetterAttributes.sourceTopicPublishTime] ?? message.publishTime ?? '',
  );

  return {
    source: 'triage',
    messageId: message.messageId ?? eventId,
    sourceTopic,
    subscription,
    deliveryAttempt,
    code: attributes[DeadLetterAttributes.reasonCode] ?? MAX_ATTEMPTS_CODE,
    reason: attributes[DeadLetterAttributes.reason] ?? MAX_ATTEMPTS_REASON,
    attributes,
    data: Buffer.from(message.data ?? '', 'base64'),
    publishTimeMs: Number.isFinite(publishTimeMs) ? publishTimeMs : null,
    recordedAtMs,
  };
}
