/**
 * The console's only way to the data: the `/v1` API of the api function, same origin (the
 * function serves this app at `/`). The types are the API's own contract (type-only imports:
 * none of its code is bundled), so a change there fails the console's typecheck.
 */

import type {
  AlertActionResult,
  AlertDetail,
  AlertList,
  AlertStateName,
  AlertSummary,
  DeadLetterDetail,
  DeadLetterList,
  DeviceDetail,
  DeviceList,
  DeviceSummary,
  GatewayList,
  GatewayView,
  Series,
  StreamLatestEvent,
} from '../../cloud/src/api/contract.ts';

export type {
  AlertDetail,
  AlertHistoryEvent,
  AlertSummary,
  DeadLetterDetail,
  DeadLetterSummary,
  DeviceDetail,
  DeviceState,
  DeviceSummary,
  GatewayView,
  Series,
  StreamLatestEvent,
} from '../../cloud/src/api/contract.ts';

export type AlertState = AlertStateName;
export type Agg = NonNullable<Series['agg']>;

/** A rule in force for a metric, as ingest evaluates it (threshold | rate | stale). */
export type RuleSpec = DeviceDetail['rules'][string][number];

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Above the API's own Firestore deadline (20 s by default), so the server answers first. */
const TIMEOUT_MS = 25_000;
/** Pages the fleet view follows before it stops: 50 pages of the API's page size. */
const MAX_PAGES = 50;
/** A read that failed on the way (network, timeout, 502/503/504) is tried this often in all. */
const READ_ATTEMPTS = 3;
const RETRY_BASE_MS = 1000;

/** Failures a second try can cure; a 4xx or a 500 would only fail again. */
function transient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 502 || err.status === 503 || err.status === 504;
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'TypeError');
}

async function callOnce<T>(path: string, init: RequestInit): Promise<T> {
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

/**
 * Reads are retried with a doubling pause when the failure is transient, so a page that
 * loads once (a device page after the fleet went quiet) does not stay on an error because
 * one request met a busy function. Actions (POST) are not retried here: ack and resolve are
 * idempotent, but the operator sees the failure and decides.
 */
async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const attempts = (init.method ?? 'GET') === 'GET' ? READ_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce<T>(path, init);
    } catch (err) {
      if (attempt >= attempts || !transient(err)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }
}

const q = (params: Record<string, string | number | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

async function all<T, P extends { items: T[]; nextCursor: string | null }>(
  path: string,
  params: Record<string, string | number | undefined> = {},
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await call<P>(`${path}${q({ ...params, cursor })}`);
    out.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}

export const api = {
  devices: (p: { site?: string; state?: string } = {}) =>
    all<DeviceSummary, DeviceList>('/devices', { ...p, limit: 1000 }),
  /** The device and the rules in force for it per metric (a 404 is an unknown device). */
  device: (id: string) => call<DeviceDetail>(`/devices/${encodeURIComponent(id)}`),
  gateways: async (): Promise<GatewayView[]> => (await call<GatewayList>('/gateways')).items,
  series: (id: string, metric: string, p: { start: number; end: number; interval?: string; agg?: Agg }) =>
    call<Series>(
      `/devices/${encodeURIComponent(id)}/series/${encodeURIComponent(metric)}${q({ start: p.start, end: p.end, interval: p.interval, agg: p.agg })}`,
    ),
  alerts: (p: { state?: AlertState; device?: string; severity?: string; limit?: number }) =>
    call<AlertList>(`/alerts${q(p)}`),
  alert: (id: string) => call<AlertDetail>(`/alerts/${encodeURIComponent(id)}`),
  ack: (id: string, note?: string) =>
    call<AlertActionResult>(`/alerts/${encodeURIComponent(id)}:ack`, {
      method: 'POST',
      body: JSON.stringify(note ? { note } : {}),
    }),
  resolve: (id: string, note?: string) =>
    call<AlertActionResult>(`/alerts/${encodeURIComponent(id)}:resolve`, {
      method: 'POST',
      body: JSON.stringify(note ? { note } : {}),
    }),
  deadLetters: () => call<DeadLetterList>('/dead-letters?limit=100'),
  deadLetter: (id: string) => call<DeadLetterDetail>(`/dead-letters/${encodeURIComponent(id)}`),
  replay: (id: string) =>
    call<unknown>(`/dead-letters/${encodeURIComponent(id)}:replay`, { method: 'POST', body: '{}' }),
};

export interface StreamHandlers {
  onAlert?(alert: AlertSummary): void;
  onLatest?(latest: StreamLatestEvent): void;
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
      const latest = JSON.parse((e as MessageEvent<string>).data) as StreamLatestEvent;
      each((h) => h.onLatest?.(latest));
    });
    source.addEventListener('open', () => each((h) => h.onStatus?.(true)));
    source.addEventListener('error', () => each((h) => h.onStatus?.(false)));
  }
}

export const stream = new Stream();
