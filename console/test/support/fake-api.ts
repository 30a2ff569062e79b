/**
 * A small in-memory stand-in for the /v1 API that serves a built console at `/`, for the
 * console's own fast browser test and for developing pages without the emulators. Every
 * response it sends is checked against the committed OpenAPI document, so the fake cannot
 * drift from the real API unnoticed: `problems` collects any mismatch and the test asserts
 * it stays empty. The end-to-end browser test runs the same pages against the real function.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type {
  AlertHistoryEvent,
  AlertSummary,
  DeadLetterSummary,
  DeviceSummary,
  GatewayView,
  Series,
} from '../../../cloud/src/api/contract.ts';
import { assertMatchesOpenApi } from '../../../cloud/test/api/openapi-validator.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

export interface FakeApi {
  readonly url: string;
  readonly problems: string[];
  readonly alerts: Map<string, { alert: AlertSummary; events: AlertHistoryEvent[] }>;
  readonly replays: string[];
  /** Every /v1 request, `METHOD path`, in arrival order. */
  readonly requests: string[];
  /** Sends an SSE event to every connected console. */
  push(event: 'alert' | 'latest', data: unknown): void;
  raise(alert: AlertSummary): void;
  streams(): number;
  /** The next `count` API requests whose path contains `pathPart` answer 503 (a busy function). */
  failNext(pathPart: string, count: number): void;
  /** API requests answered with 503 by failNext so far. */
  failed(): number;
  close(): Promise<void>;
}

export const FAKE_NOW_MS = Date.UTC(2026, 11, 3, 12, 0, 0);
const HOUR_MS = 3_600_000;

function device(i: number, site: string, state: DeviceSummary['state'], openAlerts: number): DeviceSummary {
  const tsMs = FAKE_NOW_MS - 2000;
  return {
    deviceId: `sim-${String(i).padStart(4, '0')}`,
    gatewayId: 'demo-gw1',
    site,
    name: `Sensor ${i}`,
    profile: 'default',
    metrics: {
      temperature: { v: 21 + i, tsMs, seq: 100 + i, unit: '°C' },
      humidity: { v: 40 + i, tsMs, seq: 200 + i, unit: '%' },
    },
    lastSeenMs: tsMs,
    state,
    openAlerts,
  };
}

export function fakeAlert(
  id: string,
  deviceId: string,
  raisedAtMs: number,
  clearedAtMs: number | null,
): AlertSummary {
  return {
    alertId: id,
    deviceId,
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'warning',
    gatewayId: 'demo-gw1',
    state: 'open',
    value: 33.5,
    message: 'temperature 33.5 above 30 for 10s',
    raisedAtMs,
    clearedAtMs,
    clearedValue: clearedAtMs === null ? null : 28.9,
    ackedAtMs: null,
    ackedBy: null,
    resolvedAtMs: null,
    resolvedBy: null,
    source: 'edge',
    sources: ['edge', 'cloud'],
  };
}

/** A deterministic day of temperature around 25 °C with a heatwave hump 40-20 minutes ago. */
function valueAt(tMs: number): number {
  const base = 25 + 3 * Math.sin(tMs / 600_000);
  const hump = tMs > FAKE_NOW_MS - 40 * 60_000 && tMs < FAKE_NOW_MS - 20 * 60_000 ? 10 : 0;
  return Math.round((base + hump) * 100) / 100;
}

function series(
  deviceId: string,
  metric: string,
  startMs: number,
  endMs: number,
  intervalMs: number | null,
): Series {
  const t: number[] = [];
  const v: (number | null)[] = [];
  const n: number[] = [];
  const step = intervalMs ?? 10_000;
  for (let x = Math.ceil(startMs / step) * step; x < endMs && t.length < 10_000; x += step) {
    t.push(x);
    v.push(valueAt(x));
    n.push(intervalMs === null ? 1 : Math.max(1, Math.round(intervalMs / 10_000)));
  }
  return {
    deviceId,
    metric,
    unit: metric === 'temperature' ? '°C' : '%',
    resolution: intervalMs === null ? 'raw' : 'downsampled',
    intervalMs,
    agg: intervalMs === null ? null : 'avg',
    startMs,
    endMs,
    points: { t, v, n },
    readings: n.reduce((a, b) => a + b, 0),
    duplicates: 0,
  };
}

function parseInterval(text: string | null): number | null {
  if (!text) return null;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS }[m[2] ?? 'ms'] ?? 1;
  return Number(m[1]) * unit;
}

export async function startFakeApi(consoleDir: string): Promise<FakeApi> {
  const problems: string[] = [];
  const devices = [
    device(1, 'north', 'alerting', 1),
    device(2, 'north', 'ok', 0),
    device(3, 'south', 'stale', 0),
  ];
  const gateways: GatewayView[] = [
    {
      gatewayId: 'demo-gw1',
      lastBatchAtMs: FAKE_NOW_MS - 1500,
      newestReadingAtMs: FAKE_NOW_MS - 2000,
      uplinkLagMs: 2000,
      lastSeq: 1234,
      seqGapCount: 1,
      recentGaps: [{ fromSeq: 500, toSeq: 510, detectedAtMs: FAKE_NOW_MS - HOUR_MS }],
      health: {
        outboxRecords: 12,
        outboxBytes: 4096,
        oldestUnsentAgeMs: 1800,
        evictedReadings: 0,
        rejectedByReason: { malformed: 3 },
        clientsConnected: 3,
        rulesVersion: 7,
        uptimeS: 5400,
        rssBytes: 120 * 1024 * 1024,
        reportedAtMs: FAKE_NOW_MS - 1500,
      },
    },
  ];
  const alerts = new Map<string, { alert: AlertSummary; events: AlertHistoryEvent[] }>();
  const first = fakeAlert(
    'a-heatwave-0001',
    'sim-0001',
    FAKE_NOW_MS - 38 * 60_000,
    FAKE_NOW_MS - 21 * 60_000,
  );
  alerts.set(first.alertId, {
    alert: first,
    events: [
      {
        eventId: 'e1',
        type: 'raised',
        atMs: first.raisedAtMs!,
        by: 'edge',
        note: null,
        value: 33.5,
        delivery: null,
      },
      {
        eventId: 'e2',
        type: 'delivery',
        atMs: first.raisedAtMs! + 120,
        by: null,
        note: null,
        value: null,
        delivery: { kind: 'raised', channel: 'webhook_0', attempt: 1, outcome: 'delivered', error: null },
      },
      {
        eventId: 'e3',
        type: 'cleared',
        atMs: first.clearedAtMs!,
        by: 'cloud',
        note: null,
        value: 28.9,
        delivery: null,
      },
    ],
  });
  const letters: DeadLetterSummary[] = [
    {
      id: 'dl-0001',
      recordedAtMs: FAKE_NOW_MS - 600_000,
      source: 'telemetry',
      subscription: 'telemetry-ingest',
      deliveryAttempt: 5,
      code: 'EDGEFLOW_CODEC_BAD_MAGIC',
      reason: 'not a CBOR batch',
      dataBytes: 17,
      state: 'open',
      replayCount: 0,
      previewText: 'hello, not cbor!!',
    },
  ];
  const replays: string[] = [];
  const requests: string[] = [];
  const clients = new Set<ServerResponse>();

  const send = (res: ServerResponse, path: string, method: string, status: number, body: unknown) => {
    if (path) {
      try {
        assertMatchesOpenApi(path, method, status, body);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, path: string, method: string) =>
    send(res, path, method, 404, {
      error: { code: 'EDGEFLOW_API_NOT_FOUND', message: 'no such resource', problems: [] },
    });

  const api = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    requests.push(`${method} ${p}`);
    if (p === '/v1/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (p === '/v1/devices') {
      const items = devices.filter(
        (d) =>
          (!url.searchParams.get('site') || d.site === url.searchParams.get('site')) &&
          (!url.searchParams.get('state') || d.state === url.searchParams.get('state')),
      );
      return send(res, '/v1/devices', 'GET', 200, { items, nextCursor: null, total: items.length });
    }
    const m1 = /^\/v1\/devices\/([^/]+)$/.exec(p);
    if (m1) {
      const d = devices.find((x) => x.deviceId === decodeURIComponent(m1[1]!));
      const path = '/v1/devices/{id}';
      if (!d) return notFound(res, path, method);
      const threshold = (id: string, severity: 'warning' | 'critical', level: number, clearBand: number) => ({
        id,
        kind: 'threshold' as const,
        severity,
        direction: 'above' as const,
        threshold: level,
        clearBand,
        raiseHoldMs: 10_000,
        clearHoldMs: 10_000,
      });
      return send(res, path, method, 200, {
        device: d,
        rules: {
          temperature: [
            threshold('temperature-high', 'warning', 30, 1),
            threshold('temperature-critical', 'critical', 40, 1),
            { id: 'temperature-stale', kind: 'stale', severity: 'warning', afterMs: 60_000 },
          ],
          humidity: [threshold('humidity-high', 'warning', 85, 3)],
        },
      });
    }
    const m2 = /^\/v1\/devices\/([^/]+)\/series\/([^/]+)$/.exec(p);
    if (m2) {
      const path = '/v1/devices/{id}/series/{metric}';
      const id = decodeURIComponent(m2[1]!);
      if (!devices.some((d) => d.deviceId === id)) return notFound(res, path, method);
      const end = Number(url.searchParams.get('end') ?? FAKE_NOW_MS);
      const start = Number(url.searchParams.get('start') ?? end - HOUR_MS);
      return send(
        res,
        path,
        method,
        200,
        series(id, decodeURIComponent(m2[2]!), start, end, parseInterval(url.searchParams.get('interval'))),
      );
    }
    if (p === '/v1/gateways') return send(res, '/v1/gateways', 'GET', 200, { items: gateways });
    if (p === '/v1/alerts') {
      const state = url.searchParams.get('state');
      const dev = url.searchParams.get('device');
      const items = [...alerts.values()]
        .map((a) => a.alert)
        .filter((a) => (!state || a.state === state) && (!dev || a.deviceId === dev))
        .sort((a, b) => (b.raisedAtMs ?? 0) - (a.raisedAtMs ?? 0));
      return send(res, '/v1/alerts', 'GET', 200, { items, nextCursor: null });
    }
    const m3 = /^\/v1\/alerts\/([^/:]+):(ack|resolve)$/.exec(p);
    if (m3 && method === 'POST') {
      const path = `/v1/alerts/{id}:${m3[2]}`;
      const entry = alerts.get(decodeURIComponent(m3[1]!));
      if (!entry) return notFound(res, path, method);
      const ack = m3[2] === 'ack';
      const target = ack ? 'acknowledged' : 'resolved';
      if (entry.alert.state === target)
        return send(res, path, method, 200, { alert: entry.alert, changed: false });
      if (entry.alert.state === 'resolved')
        return send(res, path, method, 409, {
          error: { code: 'EDGEFLOW_API_CONFLICT', message: 'already resolved', problems: [] },
        });
      const at = FAKE_NOW_MS;
      entry.alert = {
        ...entry.alert,
        state: target,
        ...(ack ? { ackedAtMs: at, ackedBy: 'operator' } : { resolvedAtMs: at, resolvedBy: 'operator' }),
      };
      entry.events.push({
        eventId: `e${entry.events.length + 1}`,
        type: ack ? 'ack' : 'resolve',
        atMs: at,
        by: 'operator',
        note: null,
        value: null,
        delivery: null,
      });
      push('alert', entry.alert);
      return send(res, path, method, 200, { alert: entry.alert, changed: true });
    }
    const m4 = /^\/v1\/alerts\/([^/:]+)$/.exec(p);
    if (m4) {
      const entry = alerts.get(decodeURIComponent(m4[1]!));
      if (!entry) return notFound(res, '/v1/alerts/{id}', method);
      return send(res, '/v1/alerts/{id}', 'GET', 200, entry);
    }
    if (p === '/v1/dead-letters')
      return send(res, '/v1/dead-letters', 'GET', 200, { items: letters, nextCursor: null });
    const m5 = /^\/v1\/dead-letters\/([^/:]+):replay$/.exec(p);
    if (m5 && method === 'POST') {
      const letter = letters.find((l) => l.id === decodeURIComponent(m5[1]!));
      if (!letter) return notFound(res, '/v1/dead-letters/{id}:replay', method);
      replays.push(letter.id);
      letter.replayCount += 1;
      letter.state = 'replayed';
      return send(res, '/v1/dead-letters/{id}:replay', method, 200, {
        id: letter.id,
        topic: 'edgeflow-telemetry',
        messageId: `m-${replays.length}`,
        replayCount: letter.replayCount,
      });
    }
    const m6 = /^\/v1\/dead-letters\/([^/:]+)$/.exec(p);
    if (m6) {
      const letter = letters.find((l) => l.id === decodeURIComponent(m6[1]!));
      if (!letter) return notFound(res, '/v1/dead-letters/{id}', method);
      const text = 'hello, not cbor!!';
      return send(res, '/v1/dead-letters/{id}', 'GET', 200, {
        letter,
        messageId: 'm-0',
        sourceTopic: 'edgeflow-telemetry',
        publishTimeMs: FAKE_NOW_MS - 601_000,
        replayedAtMs: null,
        truncated: false,
        attributes: { gatewayId: 'demo-gw1' },
        header: null,
        headerError: 'bad magic',
        previewHex: Buffer.from(text).toString('hex'),
        previewText: text,
      });
    }
    return notFound(res, '', method);
  };

  const failures = { pathPart: '', left: 0, answered: 0 };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/v1/') && failures.left > 0 && url.pathname.includes(failures.pathPart)) {
      failures.left--;
      failures.answered++;
      const body = { error: { code: 'EDGEFLOW_API_UNAVAILABLE', message: 'busy (fake)' } };
      return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
    if (url.pathname.startsWith('/v1/')) return api(req, res, url);
    const rel = normalize(url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (rel.startsWith('..')) return res.writeHead(404).end();
    readFile(join(consoleDir, rel)).then(
      (data) =>
        res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(data),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const push = (event: 'alert' | 'latest', data: unknown) => {
    for (const c of clients) c.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    problems,
    alerts,
    replays,
    requests,
    push,
    raise(alert) {
      alerts.set(alert.alertId, { alert, events: [] });
      push('alert', alert);
    },
    streams: () => clients.size,
    failNext(pathPart, count) {
      failures.pathPart = pathPart;
      failures.left = count;
    },
    failed: () => failures.answered,
    async close() {
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
