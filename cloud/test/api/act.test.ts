/**
 * The act side of the /v1 API against the emulators, through the real functions-framework:
 * alerts (sorted listing, event history written by notify's own store code, ack/resolve
 * idempotency, 404/409), dead letters (list, show, replay), the SSE stream (live events,
 * slot bound) and the static console (types, caching, CSP, no traversal).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AlertEvent, telemetryTopicName } from '@edgeflow/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirestoreAlertStore } from '../../src/adapters/firestore/alerts.ts';
import { newWriteCounter } from '../../src/adapters/firestore/client.ts';
import { FirestoreDeadLetterStore } from '../../src/adapters/firestore/dead-letters.ts';
import { foldHistory, type HistoryEvent, recordState } from '../../src/alerts/history.ts';
import type {
  AlertActionResult,
  AlertDetail,
  AlertList,
  DeadLetterDetail,
  DeadLetterList,
  DeviceList,
  ErrorResponse,
  ReplayResultBody,
} from '../../src/api/contract.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/api/static.ts';
import { claimTransition } from '../../src/functions/notify/record.ts';
import { useLocalCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';
import { assertMatchesComponent } from './openapi-validator.ts';
import { call, seedShard, warmUp } from './support.ts';

const consoleDir = mkdtempSync(join(tmpdir(), 'edgeflow-console-'));
mkdirSync(join(consoleDir, 'assets'));
writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>edgeflow</title>');
writeFileSync(join(consoleDir, 'assets', 'app-3f9a1c2b.js'), 'console.log(1)');
writeFileSync(join(consoleDir, 'assets', 'app-3f9a1c2b.css'), 'body{}');

const local = useLocalCloud({
  functions: ['api'],
  env: {
    EDGEFLOW_CONSOLE_DIR: consoleDir,
    EDGEFLOW_API_MAX_STREAMS: '2',
    EDGEFLOW_API_HEARTBEAT_MS: '200',
    // Longer than the test: only an invalidation can make the device list query alerts again.
    EDGEFLOW_API_OPEN_ALERTS_TTL_MS: '60000',
  },
});
const api = () => local.cloud.functionUrls.api;
// The first request loads the function's runtime and opens Firestore: slow on a busy machine.
beforeAll(() => warmUp(api()), 60_000);
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function event(alertId: string, kind: AlertEvent['kind'], tsMs: number, deviceId = 'dev-1'): AlertEvent {
  return {
    alertId,
    kind,
    deviceId,
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: alertId.endsWith('c') ? 'critical' : 'warning',
    value: kind === 'raised' ? 35 : 28,
    tsMs,
    seq: 5,
    source: 'cloud',
    gatewayId: 'gw-one',
    message: `temperature ${kind}`,
  };
}

/** What notify does for a transition: claim (record + event), deliver, finish (attempt events). */
async function notifyOnce(store: FirestoreAlertStore, e: AlertEvent): Promise<void> {
  await store.claim(e, (r, b) =>
    claimTransition(r, b, e, {
      nowMs: Date.now(),
      leaseMs: 30_000,
      storm: { limit: 100, windowMs: 600_000 },
    }),
  );
  const attempt = {
    kind: e.kind,
    channel: 'log_0',
    attempt: 1,
    outcome: 'delivered' as const,
    atMs: e.tsMs + 10,
  };
  await store.finish(e.alertId, e.kind, { log_0: 'delivered' }, [attempt], true);
}

function alertStore(): FirestoreAlertStore {
  return new FirestoreAlertStore(local.firestore, {
    deadlineMs: 20_000,
    counter: newWriteCounter(),
    nowMs: () => Date.now(),
  });
}

describe('alerts', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    await local.cloud.clearFirestore();
    const store = alertStore();
    // Document ids in the opposite order of raise times: a limit applied before sorting shows.
    await notifyOnce(store, event('a-1', 'raised', T0 + 3000));
    await notifyOnce(store, event('a-2', 'raised', T0 + 2000, 'dev-2'));
    await notifyOnce(store, event('a-3c', 'raised', T0 + 1000));
    await notifyOnce(store, event('a-3c', 'raised', T0 + 1000)); // a redelivery: no duplicate event
  }, 60_000);

  it('lists newest first, sorted before the limit, with filters and a cursor', async () => {
    const first = await call<AlertList>(api(), '/v1/alerts', '/v1/alerts?limit=2');
    expect(first.body.items.map((a) => a.alertId)).toEqual(['a-1', 'a-2']);
    const next = await call<AlertList>(
      api(),
      '/v1/alerts',
      `/v1/alerts?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(next.body.items.map((a) => a.alertId)).toEqual(['a-3c']);
    expect(next.body.nextCursor).toBeNull();
    const critical = await call<AlertList>(api(), '/v1/alerts', '/v1/alerts?severity=critical&state=open');
    expect(critical.body.items.map((a) => a.alertId)).toEqual(['a-3c']);
    const byDevice = await call<AlertList>(api(), '/v1/alerts', '/v1/alerts?device=dev-2');
    expect(byDevice.body.items.map((a) => a.alertId)).toEqual(['a-2']);
    const bad = await call<ErrorResponse>(api(), '/v1/alerts', '/v1/alerts?state=closed&limit=9999');
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toHaveLength(2);
  });

  it('shows the history: the raise once per source and every delivery attempt', async () => {
    const { body } = await call<AlertDetail>(api(), '/v1/alerts/{id}', '/v1/alerts/a-3c');
    expect(body.events.map((e) => e.type)).toEqual(['raised', 'delivery']);
    expect(body.events[1]?.delivery).toMatchObject({ channel: 'log_0', outcome: 'delivered' });
    const missing = await call<ErrorResponse>(api(), '/v1/alerts/{id}', '/v1/alerts/nope');
    expect(missing.status).toBe(404);
  });

  it('acknowledges and resolves idempotently; illegal transitions are 409, unknown ids 404', async () => {
    const ack = (id: string, body?: unknown) =>
      call<AlertActionResult & ErrorResponse>(api(), '/v1/alerts/{id}:ack', `/v1/alerts/${id}:ack`, {
        method: 'POST',
        body: body ?? {},
      });
    const resolve = (id: string, key?: string) =>
      call<AlertActionResult & ErrorResponse>(api(), '/v1/alerts/{id}:resolve', `/v1/alerts/${id}:resolve`, {
        method: 'POST',
        body: { note: 'fixed the fan' },
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });
    const first = await ack('a-1', { note: 'on it' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      changed: true,
      alert: { state: 'acknowledged', ackedBy: 'local-operator' },
    });
    expect((await local.firestore.collection('alerts').doc('a-1').get()).get('state')).toBe('acknowledged');
    expect((await ack('a-1')).body.changed).toBe(false);

    const resolved = await resolve('a-1', 'req-1');
    expect(resolved.body).toMatchObject({
      changed: true,
      alert: { state: 'resolved', resolvedBy: 'local-operator' },
    });
    expect((await resolve('a-1', 'req-1')).body.changed).toBe(false); // the same request, retried
    const again = await resolve('a-1');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EDGEFLOW_API_CONFLICT');
    expect((await ack('a-1')).status).toBe(409);
    expect((await ack('nope')).status).toBe(404);
    expect((await ack('a-2', { note: 7, extra: true })).status).toBe(400);

    // The record is the fold of its events.
    const events = (
      await local.firestore.collection('alerts').doc('a-1').collection('events').get()
    ).docs.map((d) => d.data() as HistoryEvent);
    expect(events.map((e) => e.type).sort()).toEqual(['ack', 'delivery', 'raised', 'resolve']);
    expect(events.find((e) => e.type === 'ack')?.note).toBe('on it');
    const record = await alertStore().get('a-1');
    expect(foldHistory(events)).toEqual(recordState(record as NonNullable<typeof record>));
  });
});

describe('GET /v1/devices and alert changes', { timeout: 30_000 }, () => {
  it('counts open alerts once per instance per TTL, and a resolve through the API shows at once', async () => {
    await local.cloud.clearFirestore();
    await local.firestore
      .collection('devices')
      .doc('dev-9')
      .set({ site: 'plant-a', name: 'nine', units: {}, notify: [] });
    await seedShard(local.firestore, 'gw-one', 0, {
      'dev-9': { temperature: { v: 35, tsMs: Date.now(), seq: 5 } },
    });
    await notifyOnce(alertStore(), event('a-9', 'raised', T0, 'dev-9'));
    const list = () => call<DeviceList>(api(), '/v1/devices', '/v1/devices');
    const first = await list();
    expect(first.body.items.map((d) => [d.deviceId, d.state, d.openAlerts])).toEqual([
      ['dev-9', 'alerting', 1],
    ]);
    const second = await list();
    expect(second.body.items).toEqual(first.body.items);
    // The shard, and no alert query (the catalogue, reloaded per its own TTL, aside).
    expect(second.reads).toBeLessThan(first.reads);
    const resolved = await call<AlertActionResult>(
      api(),
      '/v1/alerts/{id}:resolve',
      '/v1/alerts/a-9:resolve',
      {
        method: 'POST',
        body: {},
      },
    );
    expect(resolved.body.changed).toBe(true);
    const third = await list();
    expect(third.body.items.map((d) => [d.deviceId, d.state, d.openAlerts])).toEqual([['dev-9', 'ok', 0]]);
  });
});

describe('dead letters', { timeout: 30_000 }, () => {
  it('lists, shows and replays through the dlq code', async () => {
    await local.cloud.clearFirestore();
    // A replay goes back to the gateway topic the letter came from.
    await local.cloud.addGateway('gw-replay');
    const store = new FirestoreDeadLetterStore(local.firestore, {
      deadlineMs: 20_000,
      counter: newWriteCounter(),
      nowMs: () => T0,
      sourceTopic: telemetryTopicName('gw-replay'),
    });
    await store.record({
      source: 'ingest',
      subscription: undefined,
      messageId: 'm-1',
      code: 'EDGEFLOW_CODEC_MALFORMED',
      reason: 'not CBOR',
      data: Buffer.from('hello, world'),
      attributes: { a: 'b' },
      deliveryAttempt: 1,
      publishTimeMs: T0,
    });
    const list = await call<DeadLetterList>(api(), '/v1/dead-letters', '/v1/dead-letters?state=open');
    expect(list.body.items.map((d) => d.code)).toEqual(['EDGEFLOW_CODEC_MALFORMED']);
    expect(list.body.items[0]?.previewText).toBe('hello, world');
    const id = list.body.items[0]?.id as string;
    const shown = await call<DeadLetterDetail>(api(), '/v1/dead-letters/{id}', `/v1/dead-letters/${id}`);
    expect(shown.body.previewText).toBe('hello, world');
    const replay = await call<ReplayResultBody>(
      api(),
      '/v1/dead-letters/{id}:replay',
      `/v1/dead-letters/${id}:replay`,
      {
        method: 'POST',
      },
    );
    expect(replay.body).toMatchObject({ id, topic: 'edgeflow-telemetry-gw-replay', replayCount: 1 });
    const missing = await call<ErrorResponse>(
      api(),
      '/v1/dead-letters/{id}:replay',
      '/v1/dead-letters/nope:replay',
      {
        method: 'POST',
      },
    );
    expect(missing.status).toBe(404);
  });

  it('previews the first 64 bytes of each payload as printable text in the list', async () => {
    await local.cloud.clearFirestore();
    const store = new FirestoreDeadLetterStore(local.firestore, {
      deadlineMs: 20_000,
      counter: newWriteCounter(),
      nowMs: () => T0,
      sourceTopic: 'edgeflow-telemetry',
    });
    const data = Buffer.concat([Buffer.from([0xd9, 0xd9, 0xf7, 0x0a]), Buffer.alloc(100, 'x')]);
    await store.record({
      source: 'ingest',
      subscription: undefined,
      messageId: 'm-2',
      code: 'EDGEFLOW_CODEC_MALFORMED',
      reason: 'cut short',
      data,
      attributes: {},
      deliveryAttempt: 1,
      publishTimeMs: T0,
    });
    const list = await call<DeadLetterList>(api(), '/v1/dead-letters', '/v1/dead-letters');
    const preview = list.body.items[0]?.previewText;
    expect(preview).toBe(`....${'x'.repeat(60)}`);
    const id = list.body.items[0]?.id as string;
    const shown = await call<DeadLetterDetail>(api(), '/v1/dead-letters/{id}', `/v1/dead-letters/${id}`);
    // The detail's longer preview starts with the list's.
    expect(shown.body.previewText.startsWith(preview as string)).toBe(true);
    expect(shown.body.letter.previewText).toBe(preview);
  });
});

describe('GET /v1/stream', { timeout: 30_000 }, () => {
  it('sends alert transitions and latest values as they are persisted, and bounds the streams', async () => {
    await local.cloud.clearFirestore();
    await seedShard(local.firestore, 'gw-one', 0, { 'dev-1': { temperature: { v: 20, tsMs: T0, seq: 1 } } });
    const abort = new AbortController();
    const res = await fetch(`${api()}/v1/stream`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    try {
      await waitFor(() => text.includes(': connected'), { timeoutMs: 10_000, what: 'the stream to open' });
      const second = await fetch(`${api()}/v1/stream`, { signal: abort.signal });
      const third = await fetch(`${api()}/v1/stream`);
      expect(third.status).toBe(503);
      expect(((await third.json()) as ErrorResponse).error.code).toBe('EDGEFLOW_API_TOO_MANY_STREAMS');
      await second.body?.cancel();
      const openOf = async () =>
        (await call<DeviceList>(api(), '/v1/devices', '/v1/devices')).body.items.find(
          (d) => d.deviceId === 'dev-1',
        )?.openAlerts;
      // Loads this instance's open-alert counts (kept 60 s here) before the raise.
      expect(await openOf()).toBe(0);

      await notifyOnce(alertStore(), event('s-1', 'raised', T0 + 5000));
      await seedShard(local.firestore, 'gw-one', 0, {
        'dev-1': { temperature: { v: 21.5, tsMs: T0 + 1000, seq: 2 } },
      });
      await waitFor(() => text.includes('event: alert') && text.includes('event: latest'), {
        timeoutMs: 15_000,
        what: 'alert and latest events',
      });
      // The record the stream saw dropped the counts: a client reloading on the event sees it.
      expect(await openOf()).toBe(1);
      await waitFor(() => text.includes(': heartbeat'), { timeoutMs: 5_000, what: 'a heartbeat' });
      const events = text
        .split('\n\n')
        .filter((block) => block.startsWith('event: '))
        .map((block) => {
          const [head, data] = block.split('\n');
          return {
            name: head?.slice('event: '.length),
            data: JSON.parse(data?.slice('data: '.length) ?? 'null'),
          };
        });
      const latest = events.filter((e) => e.name === 'latest');
      // The state at connect is the baseline, not news.
      expect(latest.map((e) => e.data.v)).toEqual([21.5]);
      assertMatchesComponent('StreamLatestEvent', latest[0]?.data);
      const alert = events.find((e) => e.name === 'alert');
      expect(alert?.data.alertId).toBe('s-1');
      assertMatchesComponent('StreamAlertEvent', alert?.data);
    } finally {
      abort.abort();
      await pump;
    }
  }, 60_000);
});

describe('the console at /', { timeout: 30_000 }, () => {
  it('serves the build with content types, caching and a strict CSP, and nothing outside it', async () => {
    const index = await fetch(`${api()}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const js = await fetch(`${api()}/assets/app-3f9a1c2b.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${api()}/assets/app-3f9a1c2b.css`)).headers.get('content-type')).toMatch(
      /^text\/css/,
    );
    const route = await fetch(`${api()}/devices/dev-1`);
    expect(await route.text()).toContain('<title>edgeflow</title>');
    expect((await fetch(`${api()}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${api()}/..%2f..%2fpackage.json`)).status).toBe(404);
    const unknown = await fetch(`${api()}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorResponse).error.code).toBe('EDGEFLOW_API_NOT_FOUND');
  });
});
