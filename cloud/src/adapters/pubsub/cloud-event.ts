/**
 * The Pub/Sub CloudEvent payload (google.cloud.pubsub.topic.v1.messagePublished), as
 * functions-framework hands it to a cloudEvent function, whether it came as a CloudEvent or
 * as a raw push body (the framework converts those when the push path is
 * `/projects/<p>/topics/<t>`).
 */
export interface MessagePublishedData {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    publishTime?: string;
  };
  subscription?: string;
  deliveryAttempt?: number;
}

export interface PubSubMessage {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly publishTimeMs: number | undefined;
  readonly deliveryAttempt: number | undefined;
  readonly subscription: string | undefined;
}

/** A missing message becomes an empty payload, which the functions dead-letter (never redelivered). */
export function toPubSubMessage(eventId: string, data: MessagePublishedData | undefined): PubSubMessage {
  const m = data?.message ?? {};
  const publishTimeMs = m.publishTime ? Date.parse(m.publishTime) : Number.NaN;
  return {
    data: Buffer.from(m.data ?? '', 'base64'),
    attributes: m.attributes ?? {},
    messageId: m.messageId ?? eventId,
    publishTimeMs: Number.isFinite(publishTimeMs) ? publishTimeMs : undefined,
    deliveryAttempt: data?.deliveryAttempt,
    subscription: data?.subscription,
  };
}

const SOURCE_RE = /^\/\/pubsub\.googleapis\.com\/projects\/[^/]+\/topics\/([^/]+)$/;

/**
 * The topic of a Pub/Sub CloudEvent `source` (`//pubsub.googleapis.com/projects/<p>/topics/<t>`),
 * or undefined for any other shape. functions-framework builds it from the push endpoint
 * path, which the deployment sets and a publisher cannot.
 */
export function topicOfSource(source: unknown): string | undefined {
  if (typeof source !== 'string') return undefined;
  return SOURCE_RE.exec(source)?.[1];
}
