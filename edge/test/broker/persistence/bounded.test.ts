import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BoundedPersistence,
  type PersistenceBounds,
  type StoredPacket,
} from '../../../src/broker/persistence/bounded.ts';

const BOUNDS: PersistenceBounds = {
  maxRetainedMessages: 3,
  maxRetainedBytes: 1024,
  maxQueuedMessages: 3,
  maxQueuedBytes: 1024,
};

function create(bounds: Partial<PersistenceBounds> = {}) {
  const events = { retainedRefused: [] as string[], queuedDropped: [] as string[] };
  const store = new BoundedPersistence(
    { ...BOUNDS, ...bounds },
    {
      onRetainedRefused: (topic) => events.retainedRefused.push(topic),
      onQueuedDropped: (clientId) => events.queuedDropped.push(clientId),
    },
  );
  return { store, events };
}

let counter = 0;
function packet(topic: string, payload: string, extra: Partial<StoredPacket> = {}): StoredPacket {
  return {
    cmd: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: false,
    dup: false,
    brokerId: 'b1',
    brokerCounter: ++counter,
    ...extra,
  };
}

async function drain(stream: Readable): Promise<StoredPacket[]> {
  const out: StoredPacket[] = [];
  for await (const item of stream) out.push(item as StoredPacket);
  return out;
}

const retainedOf = async (store: BoundedPersistence, pattern = '#') =>
  (await drain(store.createRetainedStream(pattern))).map((p) => `${p.topic}=${p.payload.toString()}`).sort();

const queueOf = async (store: BoundedPersistence, id: string) =>
  (await drain(store.outgoingStream({ id }))).map((p) => p.payload.toString());

describe('BoundedPersistence: retained', () => {
  it('stores up to the count cap, replaces per topic at the cap, deletes on an empty payload', async () => {
    const { store, events } = create();
    await store.storeRetained(packet('alerts/a/t', 'raised'));
    await store.storeRetained(packet('alerts/a/h', 'raised'));
    await store.storeRetained(packet('alerts/b/t', 'raised'));
    await store.storeRetained(packet('alerts/c/t', 'raised'));
    expect(events.retainedRefused).toEqual(['alerts/c/t']);
    await store.storeRetained(packet('alerts/a/t', 'cleared'));
    expect(await retainedOf(store)).toEqual(['alerts/a/h=raised', 'alerts/a/t=cleared', 'alerts/b/t=raised']);
    await store.storeRetained(packet('alerts/a/h', ''));
    await store.storeRetained(packet('alerts/c/t', 'raised'));
    expect(await retainedOf(store)).toEqual(['alerts/a/t=cleared', 'alerts/b/t=raised', 'alerts/c/t=raised']);
    expect(store.stats().retainedMessages).toBe(3);
  });

  it('caps bytes; a replacement that no longer fits removes the stale value too', async () => {
    const { store, events } = create({ maxRetainedBytes: 100 });
    await store.storeRetained(packet('alerts/a/t', 'x'.repeat(40)));
    await store.storeRetained(packet('alerts/b/t', 'x'.repeat(80)));
    expect(events.retainedRefused).toEqual(['alerts/b/t']);
    await store.storeRetained(packet('alerts/a/t', 'y'.repeat(95)));
    expect(events.retainedRefused).toEqual(['alerts/b/t', 'alerts/a/t']);
    expect(await retainedOf(store)).toEqual([]);
    expect(store.stats()).toMatchObject({ retainedMessages: 0, retainedBytes: 0 });
  });

  it('its accounting matches what is stored, for any sequence of stores and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat({ max: 60 })), { maxLength: 40 }),
        async (ops) => {
          const { store } = create({ maxRetainedMessages: 3, maxRetainedBytes: 150 });
          for (const [topic, size] of ops) await store.storeRetained(packet(topic, 'z'.repeat(size)));
          const stored = await drain(store.createRetainedStream('#'));
          const bytes = stored.reduce((n, p) => n + p.topic.length + p.payload.length, 0);
          expect(store.stats()).toMatchObject({ retainedMessages: stored.length, retainedBytes: bytes });
          expect(stored.length).toBeLessThanOrEqual(3);
          expect(bytes).toBeLessThanOrEqual(150);
        },
      ),
      { seed: 20261203, numRuns: 100 },
    );
  });
});

describe('BoundedPersistence: session queues', () => {
  it('drops the oldest at the count cap (counted) and keeps arrival order', async () => {
    const { store, events } = create();
    for (let i = 1; i <= 5; i++)
      await store.outgoingEnqueueCombi([{ clientId: 'dev-b' }], packet('c', `${i}`));
    expect(await queueOf(store, 'dev-b')).toEqual(['3', '4', '5']);
    expect(events.queuedDropped).toEqual(['dev-b', 'dev-b']);
  });

  it('drops the oldest at the byte cap; a message larger than the cap alone is dropped itself', async () => {
    const { store, events } = create({ maxQueuedMessages: 100, maxQueuedBytes: 30 });
    await store.outgoingEnqueue({ clientId: 'x' }, packet('c', 'a'.repeat(10)));
    await store.outgoingEnqueue({ clientId: 'x' }, packet('c', 'b'.repeat(10)));
    await store.outgoingEnqueue({ clientId: 'x' }, packet('c', 'c'.repeat(10)));
    expect(await queueOf(store, 'x')).toEqual(['b'.repeat(10), 'c'.repeat(10)]);
    await store.outgoingEnqueue({ clientId: 'x' }, packet('c', 'd'.repeat(40)));
    expect(await queueOf(store, 'x')).toEqual(['b'.repeat(10), 'c'.repeat(10)]);
    expect(events.queuedDropped).toHaveLength(2);
  });

  it('has the memory store semantics aedes relies on: update by broker counter, clear by packet id', async () => {
    const { store } = create();
    const first = packet('c', 'one');
    const second = packet('c', 'two');
    await store.outgoingEnqueueCombi([{ clientId: 'a' }, { clientId: 'b' }], first);
    await store.outgoingEnqueue({ clientId: 'a' }, second);
    const queued = await drain(store.outgoingStream({ id: 'a' }));
    // Queued copies carry no packet id until delivery assigns one.
    expect(queued.map((p) => p.messageId)).toEqual([undefined, undefined]);
    await store.outgoingUpdate({ id: 'a' }, { ...first, messageId: 7 });
    await store.outgoingUpdate({ id: 'a' }, { ...second, messageId: 8 });
    // Not queued (dropped at the cap): aedes then delivers it once, live, instead of failing.
    await store.outgoingUpdate({ id: 'a' }, packet('c', 'ghost', { messageId: 9 }));
    const cleared = await store.outgoingClearMessageId({ id: 'a' }, { messageId: 7 });
    expect(cleared?.payload.toString()).toBe('one');
    expect(await store.outgoingClearMessageId({ id: 'a' }, { messageId: 7 })).toBeUndefined();
    expect(await queueOf(store, 'a')).toEqual(['two']);
    expect(await queueOf(store, 'b')).toEqual(['one']);
  });

  it('removeSession forgets subscriptions and the queue', async () => {
    const { store } = create();
    const client = { id: 'dev-b' } as never;
    await store.addSubscriptions(client, [{ topic: 'commands/dev-b/#', qos: 1 }]);
    await store.outgoingEnqueue({ clientId: 'dev-b' }, packet('commands/dev-b/x', 'go'));
    expect(await store.subscriptionsByTopic('commands/dev-b/x')).toHaveLength(1);
    await store.removeSession('dev-b');
    expect(await store.subscriptionsByTopic('commands/dev-b/x')).toEqual([]);
    expect(await store.subscriptionsByClient({ id: 'dev-b' })).toEqual([]);
    expect(store.queuedCount('dev-b')).toBe(0);
  });
});
