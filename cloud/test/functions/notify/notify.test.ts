import { type AlertEvent, type DeviceProfile, ManualClock } from '@edgeflow/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Notifier, type NotifyMessage } from '../../../src/functions/notify/notify.ts';
import {
  type AlertRecordStore,
  type Channel,
  ChannelError,
  type Notification,
} from '../../../src/functions/notify/ports.ts';
import { type AlertRecord, type ClaimWrite, mergeEvent } from '../../../src/functions/notify/record.ts';
import type { StormBudget } from '../../../src/functions/notify/storm.ts';
import { MemoryDeadLetters } from '../ingest/fakes.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

class MemoryAlertStore implements AlertRecordStore {
  readonly records = new Map<string, AlertRecord>();
  readonly budgets = new Map<string, StormBudget>();

  async claim(
    event: AlertEvent,
    claim: (r: AlertRecord | undefined, b: StormBudget | undefined) => ClaimWrite,
  ) {
    const out = claim(
      structuredClone(this.records.get(event.alertId)),
      structuredClone(this.budgets.get(event.deviceId)),
    );
    if (out.record) this.records.set(event.alertId, structuredClone(out.record));
    if (out.budget) this.budgets.set(event.deviceId, structuredClone(out.budget));
    return out.result;
  }

  async finish(
    alertId: string,
    kind: 'raised' | 'cleared',
    channels: Record<string, 'delivered' | 'failed'>,
    attempts: AlertRecord['attempts'],
    done: boolean,
  ) {
    const r = this.records.get(alertId);
    const d = r?.deliveries[kind];
    if (!r || !d) return;
    r.deliveries[kind] = {
      ...d,
      channels: { ...d.channels, ...channels },
      status: done ? 'done' : 'pending',
      claimedAtMs: done ? d.claimedAtMs : 0,
    };
    r.attempts.push(...attempts);
  }
}

function event(kind: 'raised' | 'cleared', episode = 0, deviceId = 'd1'): AlertEvent {
  return {
    alertId: `${deviceId}.temperature.temperature-high.${T0 + episode}`,
    kind,
    deviceId,
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'warning',
    value: kind === 'raised' ? 35 : 20,
    tsMs: T0 + episode + (kind === 'raised' ? 0 : 60_000),
    seq: 1,
    source: 'cloud',
    message: 'temperature above 30',
  };
}

function msg(e: unknown, id = 'm1'): NotifyMessage {
  const data = Buffer.from(typeof e === 'string' ? e : JSON.stringify(e));
  return {
    data,
    attributes: {},
    messageId: id,
    publishTimeMs: undefined,
    deliveryAttempt: undefined,
    subscription: undefined,
  };
}

function setup(options: { failWebhook?: number; stormLimit?: number; rejectLog?: boolean } = {}) {
  const sent: Notification[] = [];
  let failures = options.failWebhook ?? 0;
  const profile: DeviceProfile = {
    deviceId: 'd1',
    site: 'plant-1',
    name: 'Freezer',
    units: {},
    notify: [{ kind: 'webhook', url: 'http://127.0.0.1:1/hook', format: 'json' }, { kind: 'log' }],
  };
  const records = new MemoryAlertStore();
  const letters = new MemoryDeadLetters();
  const clock = new ManualClock(T0);
  const notifier = new Notifier({
    records,
    profiles: { getOne: async (id) => (id === 'd1' ? profile : undefined) },
    channels: (target, key): Channel => ({
      key,
      send: async (n) => {
        if (target.kind === 'log' && options.rejectLog) throw new ChannelError('HTTP 400', false);
        if (target.kind === 'webhook' && failures > 0) {
          failures--;
          throw new ChannelError('HTTP 503', true);
        }
        sent.push({ ...n, text: `${key}:${n.text}` });
      },
    }),
    deadLetters: letters,
    clock,
    logger: pino({ level: 'silent' }),
    options: {
      leaseMs: 30_000,
      maxBusyWaitMs: 30_000,
      storm: { limit: options.stormLimit ?? 5, windowMs: 600_000 },
      defaultTargets: [{ kind: 'log' }],
      retry: {
        maxAttempts: 2,
        baseDelayMs: 1,
        maxDelayMs: 1,
        sleep: async (ms: number) => void clock.advance(ms),
        random: () => 0,
      },
    },
  });
  return { notifier, sent, records, letters, clock };
}

describe('Notifier', () => {
  it('records the alert and notifies every channel once, despite redelivery', async () => {
    const { notifier, sent, records } = setup();
    await notifier.handle(msg(event('raised')));
    expect(await notifier.handle(msg(event('raised'), 'm2'))).toEqual({ status: 'duplicate' });
    expect(sent.map((n) => n.idempotencyKey)).toEqual([
      `${event('raised').alertId}:raised:webhook_0`,
      `${event('raised').alertId}:raised:log_1`,
    ]);
    const r = records.records.get(event('raised').alertId);
    expect(r).toMatchObject({
      state: 'open',
      raisedAtMs: T0,
      source: 'cloud',
      deviceId: 'd1',
      severity: 'warning',
    });
    expect(r?.attempts.filter((a) => a.outcome === 'delivered')).toHaveLength(2);
  });

  it('an alert seen by both edge and cloud is notified once and lists both sources', async () => {
    const { notifier, sent, records } = setup();
    await notifier.handle(msg({ ...event('raised'), source: 'edge' }));
    expect(await notifier.handle(msg(event('raised')))).toEqual({ status: 'duplicate' });
    expect(sent).toHaveLength(2);
    expect(records.records.get(event('raised').alertId)).toMatchObject({
      source: 'edge',
      sources: ['edge', 'cloud'],
    });
  });

  it('orders do not matter: cleared before raised still ends resolved with both delivered', async () => {
    const { notifier, sent, records } = setup();
    await notifier.handle(msg(event('cleared')));
    await notifier.handle(msg(event('raised')));
    const r = records.records.get(event('raised').alertId);
    expect(r).toMatchObject({ state: 'resolved', raisedAtMs: T0, clearedAtMs: T0 + 60_000 });
    expect(sent).toHaveLength(4);
  });

  it('a channel that keeps failing makes the function throw; the redelivery resends only that channel', async () => {
    const { notifier, sent } = setup({ failWebhook: 2 });
    await expect(notifier.handle(msg(event('raised')))).rejects.toThrow(/channel/);
    expect(sent.map((n) => n.text.split(':')[0])).toEqual(['log_1']);
    await notifier.handle(msg(event('raised')));
    expect(sent.map((n) => n.text.split(':')[0])).toEqual(['log_1', 'webhook_0']);
    expect(await notifier.handle(msg(event('raised')))).toEqual({ status: 'duplicate' });
  });

  it('a permanently failing channel is recorded as failed and not retried on redelivery', async () => {
    const { notifier, sent, records } = setup({ failWebhook: 2, rejectLog: true });
    await expect(notifier.handle(msg(event('raised')))).rejects.toThrow(/channel/);
    await notifier.handle(msg(event('raised')));
    expect(sent.map((n) => n.text.split(':')[0])).toEqual(['webhook_0']);
    const r = records.records.get(event('raised').alertId);
    expect(r?.deliveries.raised).toMatchObject({
      status: 'done',
      channels: { webhook_0: 'delivered', log_1: 'failed' },
    });
    expect(r?.attempts.filter((a) => a.channel === 'log_1').map((a) => a.outcome)).toEqual([
      'permanent-error',
    ]);
  });

  it('takes over a delivery whose instance died mid-way once its lease expires', async () => {
    const { notifier, sent, records, clock } = setup();
    // An instance claimed the transition 10 s ago, delivered the webhook, then died.
    const id = event('raised').alertId;
    const crashed = mergeEvent(undefined, event('raised'));
    crashed.deliveries = {
      raised: {
        status: 'pending',
        decision: 'deliver',
        suppressedBefore: 0,
        claimedAtMs: clock.nowMs() - 10_000,
        channels: { webhook_0: 'delivered' },
      },
    };
    records.records.set(id, crashed);
    const startMs = clock.nowMs();
    const out = await notifier.handle(msg(event('raised')));
    expect(out).toMatchObject({ status: 'delivered', channels: { log_1: 'delivered' } });
    expect(clock.nowMs() - startMs).toBeGreaterThanOrEqual(20_000);
    expect(sent.map((n) => n.text.split(':')[0])).toEqual(['log_1']);
  });

  it('folds a storm into one digest and counts the rest', async () => {
    const { notifier, sent, records } = setup({ stormLimit: 2 });
    for (let i = 0; i < 6; i++) await notifier.handle(msg(event('raised', i * 1000)));
    const perChannel = sent.filter((n) => n.text.startsWith('log_1'));
    expect(perChannel.map((n) => n.type)).toEqual(['alert', 'alert', 'digest']);
    expect(records.budgets.get('d1')).toMatchObject({ sent: 3, suppressed: 4 });
    expect(notifier.counters.suppressed).toBe(3);
  });

  it('dead-letters a message that is not an alert event', async () => {
    const { notifier, letters } = setup();
    const out = await notifier.handle(msg('{"nope":1}', 'bad-1'));
    expect(out.status).toBe('dead-lettered');
    expect(letters.letters.get('bad-1')?.reason).toMatch(/invalid alert event/);
  });
});
