/**
 * Reading and replaying dead letters, for the `dlq` CLI. Replay republishes the stored
 * bytes with the publisher's original attributes to the source topic, then marks the
 * record replayed. Publish-then-mark is deliberate: if marking fails after a publish, the
 * record stays `open` and a second replay publishes again, which the functions absorb
 * (ingest is idempotent by gateway sequence, notify by alert id); the reverse order could
 * mark a letter replayed that was never published.
 */
import {
  type BatchHeader,
  type FunctionName,
  peekBatchHeader,
  TelemetryAttributes,
  TOPOLOGY,
  type Topology,
} from '@edgeflow/shared';
import { FieldPath, FieldValue, type Firestore, type Query, Timestamp } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { DEAD_LETTERS_COLLECTION, type DeadLetterDoc } from './dead-letter.ts';

export interface DeadLetterEntry {
  readonly id: string;
  readonly doc: DeadLetterDoc;
}

export interface ReplayResult {
  readonly id: string;
  readonly topic: string;
  /** Message id of the republished message. */
  readonly messageId: string;
  readonly replayCount: number;
}

export class DeadLetterAdminError extends Error {
  readonly code = 'EDGEFLOW_DLQ_REPLAY_REFUSED';
}

export interface DeadLetterAdminOptions {
  readonly firestore: Firestore;
  readonly pubsub: PubSub;
  readonly topology?: Topology;
  readonly nowMs: () => number;
}

export class DeadLetterAdmin {
  readonly #db: Firestore;
  readonly #pubsub: PubSub;
  readonly #topology: Topology;
  readonly #nowMs: () => number;

  constructor(options: DeadLetterAdminOptions) {
    this.#db = options.firestore;
    this.#pubsub = options.pubsub;
    this.#topology = options.topology ?? TOPOLOGY;
    this.#nowMs = options.nowMs;
  }

  /**
   * Newest first (by recordedAt, then id), sorted by the query before the limit applies
   * (the state filter is served by the (state, recordedAt desc) composite index). `after`
   * continues after a previous page's last letter: its recordedAt ms and id.
   */
  async list(
    options: { limit?: number; state?: 'open' | 'replayed'; after?: readonly [number, string] } = {},
  ): Promise<DeadLetterEntry[]> {
    let query: Query = this.#db.collection(DEAD_LETTERS_COLLECTION);
    if (options.state) query = query.where('state', '==', options.state);
    query = query.orderBy('recordedAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (options.after) query = query.startAfter(Timestamp.fromMillis(options.after[0]), options.after[1]);
    const snap = await query.limit(options.limit ?? 1000).get();
    return snap.docs.map((d) => ({ id: d.id, doc: d.data() as DeadLetterDoc }));
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    const snap = await this.#db.collection(DEAD_LETTERS_COLLECTION).doc(id).get();
    return snap.exists ? { id, doc: snap.data() as DeadLetterDoc } : undefined;
  }

  /** The topic a replay goes to: the recorded source topic, else the one the recording function reads. */
  replayTopic(doc: DeadLetterDoc): string | undefined {
    if (doc.sourceTopic) return doc.sourceTopic;
    const fn = doc.source as FunctionName;
    if (fn === 'triage') {
      return doc.subscription
        ? this.#topology.subscriptions.find((s) => s.name === shortName(doc.subscription))?.topic
        : undefined;
    }
    return this.#topology.subscriptions.find((s) => s.pushTo === fn)?.topic;
  }

  async replay(id: string): Promise<ReplayResult> {
    const entry = await this.get(id);
    if (!entry) throw new DeadLetterAdminError(`no dead letter ${id}`);
    const { doc } = entry;
    if (doc.truncated) {
      throw new DeadLetterAdminError(
        `${id}: only the first ${doc.data.byteLength} of ${doc.dataBytes} bytes were kept; cannot replay`,
      );
    }
    const topic = this.replayTopic(doc);
    if (!topic)
      throw new DeadLetterAdminError(
        `${id}: source topic unknown (source ${doc.source}, subscription ${doc.subscription})`,
      );
    const messageId = await this.#pubsub
      .topic(topic)
      .publishMessage({ data: Buffer.from(doc.data), attributes: { ...doc.attributes } });
    const ref = this.#db.collection(DEAD_LETTERS_COLLECTION).doc(id);
    await ref.update({
      state: 'replayed',
      replayCount: FieldValue.increment(1),
      replayedAt: Timestamp.fromMillis(this.#nowMs()),
      lastReplayMessageId: messageId,
    });
    const after = await ref.get();
    return { id, topic, messageId, replayCount: Number(after.get('replayCount') ?? 1) };
  }

  /** Replays every open dead letter; one failure does not stop the others. */
  async replayAll(): Promise<{ replayed: ReplayResult[]; failed: { id: string; error: string }[] }> {
    const replayed: ReplayResult[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const { id } of await this.list({ state: 'open', limit: 10_000 })) {
      try {
        replayed.push(await this.replay(id));
      } catch (err) {
        failed.push({ id, error: (err as Error).message });
      }
    }
    return { replayed, failed };
  }
}

/** The batch header when the letter is a telemetry batch that still decodes that far. */
export function describePayload(doc: DeadLetterDoc): { header?: BatchHeader; headerError?: string } {
  const looksTelemetry =
    doc.attributes.schema === TelemetryAttributes.schema ||
    doc.sourceTopic === TOPOLOGY.topics.telemetry.name ||
    doc.source === 'ingest';
  if (!looksTelemetry) return {};
  try {
    return { header: peekBatchHeader(new Uint8Array(doc.data)) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { headerError: `${code ? `${code}: ` : ''}${(err as Error).message}` };
  }
}

function shortName(name: string | null): string {
  return (name ?? '').slice((name ?? '').lastIndexOf('/') + 1);
}
