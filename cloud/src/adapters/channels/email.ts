/**
 * Email channel over SMTP with nodemailer. The Message-ID is derived from the idempotency
 * key, so a repeated send is recognisable as the same message by mail systems and people.
 * SMTP 4xx replies and connection errors are retryable; 5xx replies are permanent.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel, Notification } from '../../functions/notify/ports.ts';
import { ChannelError } from '../../functions/notify/ports.ts';

export interface EmailOptions {
  readonly to: readonly string[];
  readonly from: string;
}

/** One transport per SMTP URL and instance (it pools connections). */
const transports = new Map<string, Transporter>();

export function smtpTransport(smtpUrl: string): Transporter {
  let t = transports.get(smtpUrl);
  if (!t) {
    t = nodemailer.createTransport(smtpUrl);
    transports.set(smtpUrl, t);
  }
  return t;
}

export class EmailChannel implements Channel {
  readonly key: string;
  readonly #transport: Transporter;
  readonly #options: EmailOptions;

  constructor(key: string, transport: Transporter, options: EmailOptions) {
    this.key = key;
    this.#transport = transport;
    this.#options = options;
  }

  async send(n: Notification): Promise<void> {
    try {
      await this.#transport.sendMail({
        from: this.#options.from,
        to: [...this.#options.to],
        subject: n.text.slice(0, 160),
        text: `${n.text}\n\nalert: ${n.event.alertId}\nvalue: ${n.event.value}\ntime: ${new Date(n.event.tsMs).toISOString()}\n`,
        messageId: `<${n.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '_')}@edgeflow>`,
        headers: { 'X-Edgeflow-Idempotency-Key': n.idempotencyKey },
      });
    } catch (err) {
      const code = (err as { responseCode?: unknown }).responseCode;
      const retryable = typeof code !== 'number' || code < 500;
      throw new ChannelError(`email not sent: ${(err as Error).message}`, retryable, { cause: err });
    }
  }
}
