/** In-memory ports for the pure ingest tests. */
import type { AlertEvent, DeviceProfile } from '@edgeflow/shared';
import type { BucketColumns, BucketWrite } from '../../../src/functions/ingest/bucket.ts';
import type { GatewayState } from '../../../src/functions/ingest/gateway-state.ts';
import type {
  AlertBus,
  DeadLetterRecord,
  DeadLetterStore,
  GatewayStateStore,
  GatewayUpdate,
  ProfileStore,
  ReadingStore,
  ShardUpdate,
} from '../../../src/functions/ingest/ports.ts';
import { highestSeqOf, type ShardDoc } from '../../../src/functions/ingest/shard.ts';

export class MemoryProfileStore implements ProfileStore {
  readonly profiles = new Map<string, DeviceProfile>();
  readonly reported: string[] = [];
  /** Unregistered device -> the gateway that reported it first. */
  readonly firstReporters = new Map<string, string>();
  readonly flagged: { deviceId: string; gatewayId: string }[] = [];
  reads = 0;

  async getMany(ids: readonly string[]): Promise<Map<string, DeviceProfile | undefined>> {
    this.reads += ids.length;
    return new Map(ids.map((id) => [id, this.profiles.get(id)]));
  }

  async reportUnregistered(deviceId: string, gatewayId: string): Promise<string> {
    this.reported.push(deviceId);
    const first = this.firstReporters.get(deviceId) ?? gatewayId;
    this.firstReporters.set(deviceId, first);
    return first;
  }

  async flagUnregistered(deviceId: string, gatewayId: string): Promise<void> {
    this.flagged.push({ deviceId, gatewayId });
  }
}

export class MemoryReadingStore implements ReadingStore {
  readonly buckets = new Map<
    string,
    { meta: Omit<BucketWrite, 'columns'>; cols: Record<string, BucketColumns> }
  >();
  readonly shards = new Map<string, ShardDoc>();
  writes = 0;
  /** When set, the next call throws it (a transient failure). */
  failNext: Error | undefined;

  async writeBuckets(buckets: readonly BucketWrite[]): Promise<void> {
    this.#maybeFail();
    for (const b of buckets) {
      const { columns, ...meta } = b;
      const doc = this.buckets.get(b.docId) ?? { meta, cols: {} };
      doc.cols[b.columnKey] = structuredClone(columns);
      this.buckets.set(b.docId, doc);
      this.writes++;
    }
  }

  async highestSeq(gatewayId: string, shards: number): Promise<number | undefined> {
    this.#maybeFail();
    let max: number | undefined;
    for (let k = 0; k < shards; k++) {
      const doc = this.shards.get(`${gatewayId}_${k}`);
      const seq = doc ? highestSeqOf(doc) : undefined;
      if (seq !== undefined && (max === undefined || seq > max)) max = seq;
    }
    return max;
  }

  async updateShard<T>(
    gatewayId: string,
    shard: number,
    update: (c: ShardDoc | undefined) => ShardUpdate<T>,
  ): Promise<T> {
    this.#maybeFail();
    const key = `${gatewayId}_${shard}`;
    const out = update(this.shards.get(key));
    if (out.next) {
      this.shards.set(key, structuredClone(out.next));
      this.writes++;
    }
    return out.result;
  }

  #maybeFail(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}

export class MemoryAlertBus implements AlertBus {
  readonly published: AlertEvent[] = [];
  async publish(events: readonly AlertEvent[]): Promise<void> {
    this.published.push(...events);
  }
}

export class MemoryDeadLetters implements DeadLetterStore {
  readonly letters = new Map<string, DeadLetterRecord>();
  async record(letter: DeadLetterRecord): Promise<void> {
    this.letters.set(letter.messageId, letter);
  }
}

export class MemoryGatewayStore implements GatewayStateStore {
  readonly states = new Map<string, GatewayState>();
  writes = 0;

  async update<T>(
    gatewayId: string,
    update: (current: GatewayState | undefined) => GatewayUpdate<T>,
  ): Promise<T> {
    const current = this.states.get(gatewayId);
    const out = update(current === undefined ? undefined : structuredClone(current));
    this.states.set(gatewayId, structuredClone(out.next));
    this.writes++;
    return out.result;
  }
}
