/**
 * The console's only way to the data: the `/v1` API of the api function, same origin (the
 * function serves this app at `/`). Shapes mirror cloud/src/api/contract.ts; the console reads
 * only the fields named here, so additions to the API never break it.
 */

export type DeviceState = 'ok' | 'alerting' | 'stale' | 'unregistered';
export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type Agg = 'avg' | 'min' | 'max' | 'last' | 'count';

export interface LatestValue {
  readonly value: number;
  readonly tsMs: number;
}

export interface DeviceSummary {
  readonly deviceId: string;
  readonly site: string | null;
  readonly name: string | null;
  readonly state: DeviceState;
  readonly openAlerts: number;
  readonly latest: Readonly<Record<string, LatestValue>>;
  readonly units?: Readonly<Record<string, string>>;
}

export interface ThresholdLine {
  readonly ruleId: string;
  readonly severity: string;
  readonly direction: 'above' | 'below';
  readonly threshold: number;
}

export interface DeviceDetail extends DeviceSummary {
  /** The rules in force for this device, per metric (the thresholds the charts draw). */
  readonly rules: Readonly<Record<string, readonly RuleLike[]>>;
}

export interface RuleLike {
  readonly id: string;
  readonly kind: string;
  readonly severity: string;
  readonly direction?: 'above' | 'below';
  readonly threshold?: number;
}

export interface Series {
  readonly unit: string | null;
  readonly resolution: string;
  readonly intervalMs: number | null;
  readonly agg: Agg | 'raw';
  readonly points: {
    readonly t: readonly number[];
    readonly v: readonly (number | null)[];
    readonly n: readonly number[];
  };
}

export interface AlertSummary {
  readonly alertId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly state: AlertState;
  readonly value: number;
  readonly message: string;
  readonly raisedAtMs: number | null;
  readonly clearedAtMs: number | null;
  readonly ackedAtMs: number | null;
  readonly resolvedAtMs: number | null;
  readonly source: string;
}

export interface AlertHistoryEvent {
  readonly type: string;
  readonly atMs: number;
  readonly by?: string | null;
  readonly note?: string | null;
  readonly value?: number | null;
  readonly source?: string | null;
}

export interface DeliveryAttempt {
  readonly kind: string;
  readonly channel: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly atMs: number;
  readonly error?: string;
}

export interface AlertDetail extends AlertSummary {
  readonly events: readonly AlertHistoryEvent[];
  readonly attempts: readonly DeliveryAttempt[];
}

export interface DeadLetter {
  readonly id: string;
  readonly reason: string;
  readonly source: string;
  readonly attempts: number;
  readonly receivedAtMs: number | null;
  readonly replayedAtMs?: number | null;
  readonly payloadPreview: string;
}

export interface GatewayHealth {
  readonly outboxDepth?: number;
  readonly outboxBytes?: number;
  readonly oldestUnsentAgeMs?: number;
  readonly evicted?: number;
  readonly clientsConnected?: number;
  readonly rulesVersion?: string;
  readonly uptimeMs?: number;
  readonly rssBytes?: number;
}

export interface GatewaySummary {
  readonly gatewayId: string;
  readonly site?: string | null;
  readonly lastBatchAtMs: number | null;
  readonly uplinkLagMs: number | null;
  readonly health?: GatewayHealth | null;
  readonly sequenceGaps?: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const TIMEOUT_MS = 15_000;
/** Pages the fleet view follows before it stops: 50 pages of the API's page size. */
const MAX_PAGES = 50;

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`/v1${path}`, {
    ...init,
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

const q = (params: Record<string, string | number | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

async function all<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await call<Page<T>>(`${path}${q({ ...params, cursor })}`);
    out.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}

export const api = {
  devices: () => all<DeviceSummary>('/devices'),
  device: (id: string) => call<DeviceDetail>(`/devices/${encodeURIComponent(id)}`),
  gateways: () => all<GatewaySummary>('/gateways'),
  series: (id: string, metric: string, p: { start: number; end: number; interval?: string; agg?: Agg }) =>
    call<Series>(
      `/devices/${encodeURIComponent(id)}/series/${encodeURIComponent(metric)}${q({ start: p.start, end: p.end, interval: p.interval, agg: p.agg })}`,
    ),
  alerts: (p: { state?: AlertState; device?: string; severity?: string; limit?: number }) =>
    call<Page<AlertSummary>>(`/alerts${q(p)}`),
  alert: (id: string) => call<AlertDetail>(`/alerts/${encodeURIComponent(id)}`),
  ack: (id: string, note?: string) =>
    call<AlertSummary>(`/alerts/${encodeURIComponent(id)}:ack`, {
      method: 'POST',
      body: JSON.stringify(note ? { note } : {}),
    }),
  resolve: (id: string, note?: string) =>
    call<AlertSummary>(`/alerts/${encodeURIComponent(id)}:resolve`, {
      method: 'POST',
      body: JSON.stringify(note ? { note } : {}),
    }),
  deadLetters: () => call<Page<DeadLetter>>('/dead-letters'),
  replay: (id: string) =>
    call<unknown>(`/dead-letters/${encodeURIComponent(id)}:replay`, { method: 'POST', body: '{}' }),
};

export interface LatestEvent {
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly tsMs: number;
}

export interface StreamHandlers {
  onAlert?(alert: AlertSummary): void;
  onLatest?(latest: LatestEvent): void;
  onStatus?(connected: boolean): void;
}

/** One EventSource for the whole app; the browser reconnects by itself after a drop. */
class Stream {
  readonly #handlers = new Set<StreamHandlers>();
  #source: EventSource | undefined;

  subscribe(handlers: StreamHandlers): () => void {
    this.#handlers.add(handlers);
    this.#open();
    return () => this.#handlers.delete(handlers);
  }

  #open(): void {
    if (this.#source) return;
    const source = new EventSource('/v1/stream');
    this.#source = source;
    const each = (f: (h: StreamHandlers) => void) => {
      for (const h of this.#handlers) f(h);
    };
    source.addEventListener('alert', (e) => {
      const alert = JSON.parse((e as MessageEvent<string>).data) as AlertSummary;
      each((h) => h.onAlert?.(alert));
    });
    source.addEventListener('latest', (e) => {
      const latest = JSON.parse((e as MessageEvent<string>).data) as LatestEvent;
      each((h) => h.onLatest?.(latest));
    });
    source.addEventListener('open', () => each((h) => h.onStatus?.(true)));
    source.addEventListener('error', () => each((h) => h.onStatus?.(false)));
  }
}

export const stream = new Stream();
