/**
 * Webhook channel over fetch: JSON (`format: 'json'`) or the Slack incoming-webhook text
 * form (`format: 'slack'`). Every request carries `Idempotency-Key`, identical on retries
 * and redeliveries, so a receiver can drop repeats (see functions/notify/record.ts).
 * 2xx = delivered; 408, 429 and 5xx = retryable; other 4xx = permanent (retrying a request
 * the receiver rejects as malformed only repeats the rejection). A URL the policy refuses is
 * never fetched, and a 3xx is a permanent failure, never followed (webhook-policy.ts).
 */
import type { Channel, Notification } from '../../functions/notify/ports.ts';
import { ChannelError } from '../../functions/notify/ports.ts';
import { CloudErrorCodes } from '../errors.ts';
import type { WebhookPolicy } from './webhook-policy.ts';

export interface WebhookOptions {
  readonly url: string;
  readonly format: 'json' | 'slack';
  readonly timeoutMs: number;
  readonly policy: WebhookPolicy;
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
    // Checked on every send, not once: the URL may come from a profile, and the policy is
    // what stands between a profile and the function's network.
    const verdict = this.#options.policy.check(this.#options.url);
    if (!verdict.ok) {
      throw new ChannelError(`${verdict.code}: ${verdict.reason}`, false, { code: verdict.code });
    }
    let res: Response;
    try {
      res = await fetch(verdict.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': n.idempotencyKey },
        body: JSON.stringify(webhookBody(n, this.#options.format)),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (err) {
      throw new ChannelError(`webhook unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    // Node's fetch hands a manual redirect back as the 3xx itself; the spec's filtered form
    // is an opaque-redirect response with status 0. Either way: not followed.
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
      const code = CloudErrorCodes.WEBHOOK_REDIRECT;
      const message = `${code}: webhook answered a redirect (HTTP ${res.status}), not followed`;
      throw new ChannelError(message, false, { code });
    }
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new ChannelError(`webhook answered HTTP ${res.status}`, retryable);
  }
}
