import type { Reading } from '@edgeflow/shared';
import fc from 'fast-check';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs } from '../../src/forwarder/backoff.ts';
import { type ForwarderConfig, ForwarderConfigSchema, startForwarder } from '../../src/forwarder/index.ts';
import type { OutboxPosition } from '../../src/outbox/types.ts';
import { alert, counterValue, reading, T0 } from '../outbox/support.ts';
import { FakePublisher } from './support/fake-publisher.ts';
import { memoryOutbox } from './support/memory-outbox.ts';

const clock = { nowMs: () => Date.now() };

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the forwarder's promise chains run without moving the fake clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await vi.advanceTimersByTimeAsync(0);
}

function config(overrides: Partial<ForwarderConfig> = {}): ForwarderConfig {
  return Value.Default(ForwarderConfigSchema, { lingerMs: 1000, ...overrides }) as ForwarderConfig;
}

function setup(
  overrides: Partial<ForwarderConfig> = {},
  restored: { position?: OutboxPosition; planned?: number[]; nextSeq?: number } = {},
  random: () => number = () => 0.5,
) {
  const outbox = memoryOutbox(clock.nowMs, restored);
  const publisher = new FakePublisher(clock.nowMs);
  const registry = new prom.Registry();
  const forwarder = startForwarder(config(overrides), {
    outbox,
    publisher,
    gatewayId: 'gw-test',
    clock,
    logger: pino({ level: 'silent' }),
    registry,
    random,
  });
  const append = (n: number, from = 0) =>
    outbox.appendReadings(
      Array.from({ length: n }, (_, i) => reading(from + i)),
      () => {},
    );
  return { outbox, publisher, forwarder, registry, append };
}

/** stop() waits up to stopTimeoutMs for pending publishes; move the fake clock past it. */
async function stopNow(forwarder: { stop(): Promise<void> }): Promise<void> {
  const stopped = forwarder.stop();
  await vi.advanceTimersByTimeAsync(10_000);
  await stopped;
}

const seqs = (readings: readonly Reading[]) => readings.map((r) => r.seq);

describe('batching', () => {
  it('cuts full batches by count at once and the rest after the linger', async () => {
    const { publisher, forwarder, append } = setup({ maxBatchReadings: 100, lingerMs: 1000 });
    append(250);
    await settle();
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([100, 100]);
    await vi.advanceTimersByTimeAsync(999);
    expect(publisher.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([100, 100, 50]);
    expect(publisher.calls.flatMap((c) => seqs(c.batch.readings))).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    await forwarder.stop();
  });

  it('cuts by bytes before the count is reached', async () => {
    const { publisher, forwarder, append } = setup({ maxBatchReadings: 1000, maxBatchBytes: 1024 });
    append(100); // 40 B each in the memory outbox -> 25 per batch
    await settle();
    // The last 25 take 1000 B < 1024 B: not full, so they wait for the linger.
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([25, 25, 25]);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([25, 25, 25, 25]);
    await forwarder.stop();
  });

  it('holds readings for the linger, measured from the oldest one', async () => {
    const { publisher, forwarder, append } = setup({ lingerMs: 5000 });
    append(3);
    await vi.advanceTimersByTimeAsync(3000);
    append(3, 3);
    await vi.advanceTimersByTimeAsync(1999);
    expect(publisher.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(publisher.calls.map((c) => seqs(c.batch.readings))).toEqual([[0, 1, 2, 3, 4, 5]]);
    await forwarder.stop();
  });

  it('does not read the disk on every group commit while a batch lingers', async () => {
    const { publisher, forwarder, append, outbox } = setup({ lingerMs: 5000, maxBatchReadings: 1000 });
    const read = outbox.reader.readReadings.bind(outbox.reader);
    let reads = 0;
    outbox.reader.readReadings = (from, max) => {
      reads++;
      return read(from, max);
    };
    for (let i = 0; i < 50; i++) {
      append(1, i);
      await settle();
    }
    expect(reads).toBe(1); // the first window, to start the linger clock
    await vi.advanceTimersByTimeAsync(5000);
    await settle();
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([50]);
    expect(reads).toBeLessThanOrEqual(3);
    await forwarder.stop();
  });

  it('sets the attributes and a decodable batch', async () => {
    const { publisher, forwarder, append } = setup({ maxBatchReadings: 10 });
    const sent = append(10);
    await settle();
    const [call] = publisher.calls;
    expect(call?.batch.gatewayId).toBe('gw-test');
    expect(call?.batch.readings).toEqual(sent);
    expect(call?.attributes).toMatchObject({
      schema: 'edgeflow.telemetry',
      schemaVersion: '1.1',
      encoding: 'cbor',
      gatewayId: 'gw-test',
      firstSeq: '0',
      lastSeq: '9',
      count: '10',
      alerts: '0',
    });
    expect(call?.attributes.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await forwarder.stop();
  });

  it('flushes pending readings on stop (reason shutdown) and commits them', async () => {
    const { publisher, forwarder, append, outbox } = setup({ lingerMs: 60_000 });
    append(7);
    await settle();
    expect(publisher.calls).toHaveLength(0);
    const stopped = forwarder.stop();
    await settle();
    await stopped;
    expect(publisher.calls.map((c) => c.batch.readings.length)).toEqual([7]);
    expect(outbox.reader.committed().telemetrySeq).toBe(7);
  });
  it('stops within stopTimeoutMs with the link down, leaving the backlog and the plan for the next start', async () => {
    const { publisher, forwarder, append, outbox } = setup({
      maxBatchReadings: 10,
      maxInFlightBatches: 2,
      stopTimeoutMs: 2000,
    });
    publisher.mode = 'fail';
    append(35);
    await settle();
    let stopped = false;
    const stopping = forwarder.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(outbox.reader.committed().telemetrySeq).toBe(0);
    expect(outbox.reader.planned()).toEqual([10, 20]);
    const attempts = publisher.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(publisher.calls.length).toBe(attempts); // no retries after stop

    // The next start resends the planned batches as they were, then the rest.
    const next = startForwarder(config({ maxBatchReadings: 1000, lingerMs: 10 }), {
      outbox,
      publisher,
      gatewayId: 'gw-test',
      clock,
      logger: pino({ level: 'silent' }),
      registry: new prom.Registry(),
    });
    publisher.mode = 'ack';
    await vi.advanceTimersByTimeAsync(10);
    await settle();
    const resent = publisher.calls.slice(attempts).map((c) => [c.attributes.firstSeq, c.attributes.lastSeq]);
    expect(resent).toEqual([
      ['0', '9'],
      ['10', '19'],
      ['20', '34'],
    ]);
    expect(outbox.reader.committed().telemetrySeq).toBe(35);
    await next.stop();
  });
});

describe('invalid records', () => {
  it('drops and counts a reading that fails validation, sends the rest of its batch, and moves on', async () => {
    const { outbox, publisher, forwarder, registry } = setup({ maxBatchReadings: 10 });
    outbox.appendReadings(
      [reading(0), { ...reading(1), value: Number.NaN }, reading(2), { ...reading(3), metric: 'Bad Metric' }],
      () => {},
    );
    outbox.appendReadings([reading(4)], () => {});
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(publisher.calls.flatMap((c) => seqs(c.batch.readings))).toEqual([0, 2, 4]);
    expect(await counterValue(registry, 'edgeflow_forwarder_invalid_dropped_total')).toBe(2);
    expect(outbox.reader.committed().telemetrySeq).toBe(5); // the position passes the dropped ones
    await stopNow(forwarder);
  });
});

describe('alerts', () => {
  it('go out at once as their own batch while readings linger', async () => {
    const { publisher, forwarder, append, outbox } = setup({ lingerMs: 60_000 });
    append(5);
    await settle();
    outbox.appendAlert(alert(0), () => {});
    await settle();
    expect(publisher.calls).toHaveLength(1);
    expect(publisher.calls[0]?.batch).toMatchObject({ readings: [], alerts: [alert(0)] });
    expect(publisher.calls[0]?.attributes).toMatchObject({ count: '0', alerts: '1' });
    expect(publisher.calls[0]?.attributes.firstSeq).toBeUndefined();
    expect(outbox.reader.committed()).toMatchObject({ telemetrySeq: 0, alertIndex: 1 });
    await forwarder.stop();
  });

  it('go first when the link comes back after an outage', async () => {
    const { publisher, forwarder, append, outbox } = setup({
      maxBatchReadings: 10,
      maxInFlightBatches: 2,
      backoff: { initialMs: 1000, maxMs: 8000, multiplier: 2, jitter: 0 },
    });
    publisher.mode = 'fail';
    append(50);
    await settle();
    outbox.appendAlert(alert(0), () => {});
    await vi.advanceTimersByTimeAsync(20_000);
    publisher.mode = 'ack';
    const before = publisher.calls.length;
    // The next retry to fire succeeds and wakes every other backing-off batch.
    await vi.advanceTimersByTimeAsync(8000);
    await settle();
    const after = publisher.calls.slice(before);
    // The first retry that gets through may be a telemetry batch; the alert is right behind it,
    // ahead of the 3 telemetry batches still waiting on disk.
    expect(after.findIndex((c) => c.batch.alerts.length > 0)).toBeGreaterThanOrEqual(0);
    expect(after.findIndex((c) => c.batch.alerts.length > 0)).toBeLessThanOrEqual(1);
    expect(after.length).toBeGreaterThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(outbox.reader.committed()).toEqual({ telemetrySeq: 50, alertIndex: 1 });
    await forwarder.stop();
  });
});

describe('acknowledgement and position', () => {
  it('advances the position only after the publish is acknowledged', async () => {
    const { publisher, forwarder, append, outbox } = setup({ maxBatchReadings: 10 });
    publisher.mode = 'manual';
    append(10);
    await settle();
    expect(publisher.calls).toHaveLength(1);
    expect(outbox.reader.committed().telemetrySeq).toBe(0);
    publisher.calls[0]?.resolve();
    await settle();
    expect(outbox.reader.committed().telemetrySeq).toBe(10);
    await forwarder.stop();
  });

  it('commits only the contiguous acknowledged prefix with several batches in flight', async () => {
    const { publisher, forwarder, append, outbox } = setup({ maxBatchReadings: 10, maxInFlightBatches: 3 });
    publisher.mode = 'manual';
    append(50);
    await settle();
    expect(publisher.calls).toHaveLength(3); // bounded in flight
    publisher.calls[2]?.resolve();
    publisher.calls[1]?.resolve();
    await settle();
    expect(outbox.reader.committed().telemetrySeq).toBe(0);
    expect(publisher.calls).toHaveLength(3); // acked out of order, still 1 in flight at the head...
    publisher.calls[0]?.resolve();
    await settle();
    expect(outbox.reader.committed().telemetrySeq).toBe(30);
    expect(publisher.calls).toHaveLength(5);
    await stopNow(forwarder);
  });

  it('records planned batch ends before publishing and replays them after a restart', async () => {
    const first = setup({ maxBatchReadings: 10, maxInFlightBatches: 3 });
    first.publisher.mode = 'manual';
    first.append(30);
    await settle();
    expect(first.outbox.commits.at(-1)?.planned).toEqual([10, 20, 30]);

    // A restart with that checkpoint and a different batch size re-cuts exactly the same batches.
    const second = setup({ maxBatchReadings: 1000, lingerMs: 60_000 }, { planned: [10, 20, 30], nextSeq: 0 });
    second.append(45);
    await settle();
    expect(second.publisher.calls.map((c) => [c.attributes.firstSeq, c.attributes.lastSeq])).toEqual([
      ['0', '9'],
      ['10', '19'],
      ['20', '29'],
    ]);
    expect(second.outbox.reader.committed().telemetrySeq).toBe(30);
    await stopNow(first.forwarder);
    await stopNow(second.forwarder);
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and applies jitter within its bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r, jitter) => {
          const backoff = { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter };
          const base = Math.min(10_000, 100 * 2 ** (attempt - 1));
          const delay = backoffDelayMs(attempt, backoff, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base * (1 + jitter)));
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it('retries a failed publish after initialMs, x multiplier each time, with the injected jitter', async () => {
    const randoms = [0, 1, 0.5, 0.5];
    const { publisher, forwarder, append, outbox, registry } = setup(
      { maxBatchReadings: 5, backoff: { initialMs: 1000, maxMs: 3000, multiplier: 2, jitter: 0.1 } },
      {},
      () => randoms.shift() ?? 0.5,
    );
    publisher.mode = 'fail';
    append(5);
    await settle();
    await vi.advanceTimersByTimeAsync(900); // 1000 * 0.9
    await settle();
    await vi.advanceTimersByTimeAsync(2200); // 2000 * 1.1
    await settle();
    await vi.advanceTimersByTimeAsync(3000); // capped at 3000, no jitter
    expect(forwarder.status()).toMatchObject({
      inFlightBatches: 1,
      retryingBatches: 1,
      lastError: 'UNAVAILABLE: link down',
      lastPublishOkAtMs: undefined,
    });
    publisher.mode = 'ack';
    await settle();
    await vi.advanceTimersByTimeAsync(3000);
    await settle();
    expect(forwarder.status()).toMatchObject({
      retryingBatches: 0,
      lastError: undefined,
      lastPublishOkAtMs: T0 + 9100,
      committedSeq: 5,
    });
    const times = publisher.calls.map((c) => c.atMs - T0);
    expect(times).toEqual([0, 900, 3100, 6100, 9100]);
    expect(outbox.reader.committed().telemetrySeq).toBe(5);
    const failed = await registry.getSingleMetric('edgeflow_forwarder_batches_failed_total')?.get();
    expect(failed?.values.reduce((s, v) => s + v.value, 0)).toBe(4);
    await forwarder.stop();
  });
});
