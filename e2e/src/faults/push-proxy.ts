/**
 * An HTTP proxy between a Pub/Sub push subscription and the function it feeds, to make the
 * function fail the way the cloud sees failures, without restarting it:
 * - `fail-after-forward`: the function handles the push (writes everything) but Pub/Sub
 *   gets a 500, so it redelivers a batch that was already stored; once per message (a
 *   transient failure: the redelivery goes through, as with the product's fail-after-write);
 * - `down`: the connection is dropped before the function sees the push (a crashed or
 *   unreachable instance);
 * - `pass`: transparent.
 * The subscription is pointed at the proxy with `modifyPushConfig` and back at the end.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PushMode = 'pass' | 'fail-after-forward' | 'down';

export interface PushProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  mode: PushMode;
  readonly counts: Readonly<Record<PushMode, number>>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startPushProxy(targetUrl: () => string): Promise<PushProxy> {
  const counts: Record<PushMode, number> = { pass: 0, 'fail-after-forward': 0, down: 0 };
  const state = { mode: 'pass' as PushMode };
  const failedOnce = new Set<string>();
  const server = createServer((req, res) => {
    const mode = state.mode;
    counts[mode] += 1;
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    readBody(req)
      .then(async (body) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection')
            headers[k] = v;
        }
        const upstream = await fetch(`${targetUrl()}${req.url ?? '/'}`, {
          method: req.method ?? 'POST',
          headers,
          body: new Uint8Array(body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await upstream.text();
        const id = messageId(body);
        const fail = mode === 'fail-after-forward' && id !== undefined && !failedOnce.has(id);
        if (fail) failedOnce.add(id);
        if (fail) res.writeHead(500).end('fault proxy: failed after forwarding');
        else
          res
            .writeHead(upstream.status, {
              'content-type': upstream.headers.get('content-type') ?? 'text/plain',
            })
            .end(text);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end('fault proxy: upstream unreachable');
        else res.destroy();
      });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: PushMode) {
      state.mode = m;
    },
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The push envelope's `message.messageId`, or undefined when the body is not one. */
function messageId(body: Buffer): string | undefined {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { message?: { messageId?: unknown } }).message
      ?.messageId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) throw new Error('push body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
