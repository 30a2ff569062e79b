/**
 * The per-instance open-alert counts behind GET /v1/devices: one query per TTL, none kept
 * across an invalidation (even one that lands while a query is in flight), a full answer or
 * READ_CAP, and TTL 0 querying every time. In memory with a manual clock: the emulator
 * tests (act.test.ts) cover the wiring to ack/resolve.
 */
import { ManualClock } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import type { Limited } from '../../src/adapters/firestore/api-reads.ts';
import { ApiError } from '../../src/api/errors.ts';
import { OpenAlertIndex } from '../../src/api/open-alerts.ts';
import type { FleetReads } from '../../src/api/ports.ts';
import { ReadBudget } from '../../src/api/read-budget.ts';

function fakeReads(alerts: string[]) {
  const calls: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  const reads = {
    async openAlertDevices(limit: number): Promise<Limited<string>> {
      calls.push(limit);
      await gate;
      return {
        items: alerts.slice(0, limit),
        reads: Math.max(1, Math.min(alerts.length, limit + 1)),
        truncated: alerts.length > limit,
      };
    },
  } as unknown as FleetReads;
  return {
    reads,
    calls,
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return () => open();
    },
  };
}

describe('OpenAlertIndex', () => {
  it('counts per device, and queries once per TTL', async () => {
    const clock = new ManualClock(1_000_000);
    const fake = fakeReads(['d-1', 'd-2', 'd-1']);
    const index = new OpenAlertIndex(fake.reads, clock, { ttlMs: 2000 });
    const cold = new ReadBudget(100);
    expect([...(await index.get(cold))]).toEqual([
      ['d-1', 2],
      ['d-2', 1],
    ]);
    expect(cold.total).toBe(3);
    const warm = new ReadBudget(100);
    clock.advance(1999);
    expect((await index.get(warm)).get('d-1')).toBe(2);
    expect(warm.total).toBe(0);
    clock.advance(1);
    const expired = new ReadBudget(100);
    await index.get(expired);
    expect(expired.total).toBe(3);
    expect(fake.calls).toHaveLength(2);
    expect(index.counters).toMatchObject({ loads: 2, hits: 1 });
  });

  it('charges an empty answer as one read, and with TTL 0 queries every time', async () => {
    const fake = fakeReads([]);
    const index = new OpenAlertIndex(fake.reads, new ManualClock(0), { ttlMs: 0 });
    for (let i = 0; i < 3; i++) {
      const budget = new ReadBudget(50);
      expect((await index.get(budget)).size).toBe(0);
      expect(budget.total).toBe(1);
    }
    expect(fake.calls).toEqual([49, 49, 49]);
  });

  it('forgets on invalidate, and keeps nothing from a query an invalidation overtook', async () => {
    const clock = new ManualClock(0);
    const fake = fakeReads(['d-1']);
    const index = new OpenAlertIndex(fake.reads, clock, { ttlMs: 60_000 });
    await index.get(new ReadBudget(100));
    index.invalidate();
    const release = fake.hold();
    const inFlight = index.get(new ReadBudget(100));
    index.invalidate();
    release();
    expect((await inFlight).get('d-1')).toBe(1);
    await index.get(new ReadBudget(100));
    expect(fake.calls).toHaveLength(3);
    await index.get(new ReadBudget(100));
    expect(fake.calls).toHaveLength(3);
  });

  it('refuses with READ_CAP rather than count part of the open alerts, and keeps nothing', async () => {
    const fake = fakeReads(Array.from({ length: 30 }, (_, i) => `d-${i}`));
    const index = new OpenAlertIndex(fake.reads, new ManualClock(0), { ttlMs: 60_000 });
    const small = new ReadBudget(10);
    await expect(index.get(small)).rejects.toSatisfy(
      (e) => e instanceof ApiError && e.code === 'EDGEFLOW_API_READ_CAP',
    );
    expect(small.used).toBeLessThanOrEqual(10);
    expect((await index.get(new ReadBudget(100))).size).toBe(30);
    expect(fake.calls).toHaveLength(2);
  });
});
