/** Log channel: the notification as one structured log line (always available, never fails). */
import type { Logger } from 'pino';
import type { Channel, Notification } from '../../functions/notify/ports.ts';

export class LogChannel implements Channel {
  readonly key: string;
  readonly #logger: Logger;

  constructor(key: string, logger: Logger) {
    this.key = key;
    this.#logger = logger;
  }

  async send(n: Notification): Promise<void> {
    this.#logger.warn(
      {
        notification: n.type,
        idempotencyKey: n.idempotencyKey,
        alertId: n.event.alertId,
        kind: n.event.kind,
        deviceId: n.event.deviceId,
        severity: n.event.severity,
        suppressedBefore: n.suppressedBefore,
      },
      n.text,
    );
  }
}
