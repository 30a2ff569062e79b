/**
 * GET /v1/stream: Server-Sent Events from Firestore real-time listeners, so the console is
 * live without polling every document.
 *   event: latest   a series' latest value, each time its shard changes it (not the
 *                   baseline: the client reads /v1/devices first, then listens)
 *   event: alert    an alert record after each transition written after the connect
 *   `: heartbeat`   every heartbeatMs, so proxies keep the connection and the client notices
 *                   a dead one
 * Bounds: at most maxStreams concurrent streams per instance (one more is a 503, counted);
 * a client that does not read (the socket's buffer full) for more than streamQueueMax
 * events is disconnected (counted); Cloud Run ends a stream at the request timeout and the
 * browser's EventSource reconnects (`retry: 3000`).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from 'pino';
import type { SeriesState } from '../functions/ingest/shard.ts';
import { toSummary } from './alerts.ts';
import type { StreamLatestEvent } from './contract.ts';
import { ApiError, ApiErrorCodes } from './errors.ts';
import type { LiveSource } from './ports.ts';

export interface StreamCounters {
  active: number;
  opened: number;
  rejected: number;
  overflowed: number;
  events: number;
}

export interface StreamOptions {
  readonly maxStreams: number;
  readonly heartbeatMs: number;
  readonly streamQueueMax: number;
}

export class StreamHub {
  readonly counters: StreamCounters = { active: 0, opened: 0, rejected: 0, overflowed: 0, events: 0 };
  readonly #live: LiveSource;
  readonly #options: StreamOptions;
  readonly #logger: Logger;
  readonly #onAlertRecord: (() => void) | undefined;

  /** `onAlertRecord` hears of every alert record a stream sees (the open-alert counts drop theirs). */
  constructor(live: LiveSource, options: StreamOptions, logger: Logger, onAlertRecord?: () => void) {
    this.#live = live;
    this.#options = options;
    this.#logger = logger;
    this.#onAlertRecord = onAlertRecord;
  }

  open(req: Request, res: Response, nowMs: number): void {
    if (this.counters.active >= this.#options.maxStreams) {
      this.counters.rejected++;
      throw new ApiError(
        ApiErrorCodes.TOO_MANY_STREAMS,
        `all ${this.#options.maxStreams} stream slots of this instance are taken (EDGEFLOW_API_MAX_STREAMS)`,
      );
    }
    this.counters.active++;
    this.counters.opened++;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();

    let closed = false;
    let blockedEvents = 0;
    const write = (chunk: string): void => {
      if (closed) return;
      if (blockedEvents > this.#options.streamQueueMax) {
        this.counters.overflowed++;
        this.#logger.warn({ queued: blockedEvents }, 'stream client too slow, disconnected');
        close();
        return;
      }
      if (!res.write(chunk)) blockedEvents++;
    };
    res.on('drain', () => {
      blockedEvents = 0;
    });
    const send = (event: string, data: unknown): void => {
      this.counters.events++;
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    write('retry: 3000\n: connected\n\n');

    // Last applied seq per gateway/device/metric; the first snapshot only fills it.
    const known = new Map<string, number>();
    const onShard = (
      shard: { gatewayId: string; series: Readonly<Record<string, Readonly<Record<string, SeriesState>>>> },
      baseline: boolean,
    ) => {
      for (const [deviceId, metrics] of Object.entries(shard.series)) {
        for (const [metric, s] of Object.entries(metrics)) {
          const key = `${shard.gatewayId}/${deviceId}/${metric}`;
          const prior = known.get(key);
          if (prior !== undefined && prior >= s.seq) continue;
          known.set(key, s.seq);
          if (baseline) continue;
          const event: StreamLatestEvent = {
            gatewayId: shard.gatewayId,
            deviceId,
            metric,
            v: s.v,
            tsMs: s.tsMs,
            seq: s.seq,
          };
          send('latest', event);
        }
      }
    };
    const onError = (err: Error): void => {
      this.#logger.warn({ err }, 'stream listener failed, closing the stream');
      close();
    };
    const stopLatest = this.#live.watchLatest(onShard, onError);
    const stopAlerts = this.#live.watchAlerts(
      nowMs,
      (r) => {
        // Before the event goes out: a client reloading on it must not get the old counts.
        this.#onAlertRecord?.();
        send('alert', toSummary(r));
      },
      onError,
    );
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), this.#options.heartbeatMs);

    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      stopLatest();
      stopAlerts();
      this.counters.active--;
      res.end();
    };
    req.on('close', close);
    res.on('close', close);
  }
}
