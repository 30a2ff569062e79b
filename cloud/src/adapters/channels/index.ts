/** Builds the channel for a profile's notification target. */
import type { NotificationTarget } from '@edgeflow/shared';
import type { Logger } from 'pino';
import type { Channel, ChannelFactory } from '../../functions/notify/ports.ts';
import { ChannelError } from '../../functions/notify/ports.ts';
import { EmailChannel, smtpTransport } from './email.ts';
import { LogChannel } from './log.ts';
import { WebhookChannel } from './webhook.ts';
import type { WebhookPolicy } from './webhook-policy.ts';

export interface ChannelSettings {
  /** `smtp://user:pass@host:port`; without it email targets fail permanently (recorded). */
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly webhookTimeoutMs: number;
  /** Applied to every webhook target before it is sent to; counts what it refuses. */
  readonly webhookPolicy: WebhookPolicy;
  readonly logger: Logger;
}

export function channelFactory(settings: ChannelSettings): ChannelFactory {
  return (target: NotificationTarget, key: string): Channel => {
    switch (target.kind) {
      case 'webhook':
        return new WebhookChannel(key, {
          url: target.url,
          format: target.format,
          timeoutMs: settings.webhookTimeoutMs,
          policy: settings.webhookPolicy,
        });
      case 'email': {
        const url = settings.smtpUrl;
        if (!url) {
          return {
            key,
            send: () =>
              Promise.reject(new ChannelError('email target but EDGEFLOW_SMTP_URL is not set', false)),
          };
        }
        return new EmailChannel(key, smtpTransport(url), { to: target.to, from: settings.mailFrom });
      }
      case 'log':
        return new LogChannel(key, settings.logger);
    }
  };
}
