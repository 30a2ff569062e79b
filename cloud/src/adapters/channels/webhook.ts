/**
 * Webhook channel over fetch: JSON (`format: 'json'`) or the Slack incoming-webhook text
 * form (`format: 'slack'`). Every request carries `Idempotency-Key`, identical on retries
 * and redeliveries, so a receiver can drop repeats (see functions/notify/record.ts).
 * 2xx = delivered; 408, 429 and 5xx = retryable; other 4xx = permanent (retrying a request
 * the receiver rejects as malformed only repeats the rejection).
 */
import type { Channel, Notification } from '../../functions/notify/ports.ts';
import { ChannelError } from '../../functions/notify/ports.ts';

export interface WebhookOptions {
  readonly url: string;
  readonly format: 'json' | 'slack';
  readonly timeoutMs: number;
}

export function webhookBody(n: Notification, format: 'json' | 'slack'): unknown {
  if (format === 'slack') return { text: n.text };
  return {
    type: n.type === 'digest' ? 'edgeflow.alert.digest' : 'edgeflow.alert',
    idempotencyKey: n.idempotencyKey,
    text: n.text,
    device: { id: n.event.deviceId, name: n.deviceName, site: n.site },
    alert: n.event,
    suppressedBefore: n.suppressedBefore,
  };
}

export class WebhookChannel implements Channel {
  readonly key: string;
  readonly #options: WebhookOptions;

  constructor(key: string, options: WebhookOptions) {
    this.key = key;
    this.#options = options;
  }

  async send(n: Notification): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.#options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': n.idempotencyKey },
        body: JSON.stringify(webhookBody(n, this.#options.format)),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (err) {
      throw new ChannelError(`webhook unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new ChannelError(`webhook answered HTTP ${res.status}`, retryable);
  }
}
