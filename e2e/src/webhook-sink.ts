/**
 * A local webhook receiver standing in for a team's alert endpoint: the notifier delivers
 * here in `npm start` and in the end-to-end tests. It records every delivery, and counts
 * repeats of an `Idempotency-Key` separately so "delivered exactly once" can be checked.
 */
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  readonly idempotencyKey: string;
  readonly receivedAtMs: number;
  /** Parsed JSON body (the notifier's `json` format), or the raw text when not JSON. */
  readonly body: unknown;
}

export interface WebhookSink {
  readonly url: string;
  /** First delivery per idempotency key, in arrival order. */
  readonly deliveries: readonly Delivery[];
  /** Deliveries whose idempotency key had been seen before. */
  readonly repeats: number;
  /** Emits 'delivery' (Delivery) for each first delivery. */
  readonly events: EventEmitter<{ delivery: [Delivery] }>;
  close(): Promise<void>;
}

/** Bodies above this are refused: a sink must not be a memory sink. */
const MAX_BODY_BYTES = 1_048_576;

export async function startWebhookSink(nowMs: () => number = Date.now): Promise<WebhookSink> {
  const deliveries: Delivery[] = [];
  const seen = new Set<string>();
  const events = new EventEmitter<{ delivery: [Delivery] }>();
  let repeats = 0;

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Slack-style or plain text bodies are recorded as they came.
      }
      const header = req.headers['idempotency-key'];
      const key = (Array.isArray(header) ? header[0] : header) ?? `anonymous-${deliveries.length + repeats}`;
      if (seen.has(key)) {
        repeats += 1;
      } else {
        seen.add(key);
        const delivery: Delivery = { idempotencyKey: key, receivedAtMs: nowMs(), body };
        deliveries.push(delivery);
        events.emit('delivery', delivery);
      }
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    deliveries,
    get repeats() {
      return repeats;
    },
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
