/**
 * The notify logic: parse -> claim (dedup + record + storm limit, one transaction) ->
 * deliver to the profile's channels with bounded retries -> record outcomes. See record.ts
 * for the at-least-once / idempotency-key trade-off.
 */
import type { AlertEvent, Clock, NotificationTarget } from '@edgeflow/shared';
import { alertEventChecker } from '@edgeflow/shared';
import type { Logger } from 'pino';
import { CloudError, CloudErrorCodes } from '../../adapters/errors.ts';
import type { DeadLetterStore } from '../ingest/ports.ts';
import { alertText, digestText } from './message.ts';
import {
  type AlertRecordStore,
  type Channel,
  ChannelError,
  type ChannelFactory,
  type Notification,
  type ProfileSource,
} from './ports.ts';
import { type ChannelOutcome, claimTransition, type DeliveryAttempt } from './record.ts';
import { type RetryOptions, retryWithBackoff } from './retry.ts';
import type { StormOptions } from './storm.ts';

export interface NotifyMessage {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly publishTimeMs: number | undefined;
  readonly deliveryAttempt: number | undefined;
  readonly subscription: string | undefined;
}

export interface NotifyOptions {
  readonly leaseMs: number;
  /** Longest wait for another instance's lease before giving the message back to Pub/Sub. */
  readonly maxBusyWaitMs: number;
  readonly storm: StormOptions;
  /** Where alerts of devices without a profile (or with no targets) go. */
  readonly defaultTargets: readonly NotificationTarget[];
  readonly retry: Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>;
}

export interface NotifyDeps {
  readonly records: AlertRecordStore;
  readonly profiles: ProfileSource;
  readonly channels: ChannelFactory;
  readonly deadLetters: DeadLetterStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: NotifyOptions;
}

export type NotifyOutcome =
  | { readonly status: 'dead-lettered'; readonly reason: string }
  | { readonly status: 'duplicate' }
  | {
      readonly status: 'delivered';
      readonly decision: 'deliver' | 'digest' | 'suppress';
      readonly channels: Readonly<Record<string, ChannelOutcome>>;
    };

export function parseAlertEvent(data: Buffer): AlertEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (alertEventChecker.check(value)) return value;
  const p = alertEventChecker.problems(value).slice(0, 3);
  return `invalid alert event: ${p.map((x) => `${x.path} ${x.message}`).join('; ')}`;
}

export class Notifier {
  readonly deps: NotifyDeps;
  readonly counters = {
    events: 0,
    duplicates: 0,
    delivered: 0,
    failed: 0,
    suppressed: 0,
    digests: 0,
    deadLettered: 0,
  };

  constructor(deps: NotifyDeps) {
    this.deps = deps;
  }

  #claim(event: AlertEvent, nowMs: number) {
    const { deps } = this;
    return deps.records.claim(event, (record, budget) =>
      claimTransition(record, budget, event, {
        nowMs,
        leaseMs: deps.options.leaseMs,
        storm: deps.options.storm,
      }),
    );
  }

  async handle(msg: NotifyMessage, log: Logger = this.deps.logger): Promise<NotifyOutcome> {
    const { deps } = this;
    this.counters.events++;
    const parsed = parseAlertEvent(msg.data);
    if (typeof parsed === 'string') {
      await deps.deadLetters.record({
        source: 'notify',
        subscription: msg.subscription,
        messageId: msg.messageId,
        code: CloudErrorCodes.BAD_MESSAGE,
        reason: parsed,
        data: msg.data,
        attributes: msg.attributes,
        deliveryAttempt: msg.deliveryAttempt,
        publishTimeMs: msg.publishTimeMs,
      });
      this.counters.deadLettered++;
      log.warn({ messageId: msg.messageId, reason: parsed }, 'alert message dead-lettered');
      return { status: 'dead-lettered', reason: parsed };
    }
    const event = parsed;
    const alog = log.child({ alertId: event.alertId, kind: event.kind, deviceId: event.deviceId });
    let nowMs = deps.clock.nowMs();
    let claim = await this.#claim(event, nowMs);
    if (claim.action === 'busy' && claim.leaseLeftMs <= deps.options.maxBusyWaitMs) {
      // Another instance is delivering (or died doing so). Wait out its lease here rather than
      // lean on Pub/Sub's redelivery backoff, which the emulator does not honour.
      await deps.options.retry.sleep(claim.leaseLeftMs + 1);
      nowMs = deps.clock.nowMs();
      claim = await this.#claim(event, nowMs);
    }
    if (claim.action === 'duplicate') {
      this.counters.duplicates++;
      alog.debug('duplicate transition, already delivered');
      return { status: 'duplicate' };
    }
    if (claim.action === 'busy') {
      throw new CloudError(
        CloudErrorCodes.TRANSIENT,
        `delivery of ${event.alertId}/${event.kind} is in progress elsewhere`,
      );
    }
    if (claim.decision === 'suppress') {
      this.counters.suppressed++;
      const attempt: DeliveryAttempt = {
        kind: event.kind,
        channel: '*',
        attempt: 0,
        outcome: 'suppressed',
        atMs: nowMs,
      };
      await deps.records.finish(event.alertId, event.kind, {}, [attempt], true);
      alog.info('notification suppressed by the device storm limit');
      return { status: 'delivered', decision: 'suppress', channels: {} };
    }
    if (claim.decision === 'digest') this.counters.digests++;

    const profile = await deps.profiles.getOne(event.deviceId);
    const targets = profile && profile.notify.length > 0 ? profile.notify : deps.options.defaultTargets;
    const name = profile?.name ?? event.deviceId;
    const site = profile?.site ?? 'unregistered';
    const text =
      claim.decision === 'digest'
        ? digestText(event, name, deps.options.storm.limit, deps.options.storm.windowMs)
        : alertText(event, name, site, claim.suppressedBefore);

    const attempts: DeliveryAttempt[] = [];
    const outcomes: Record<string, ChannelOutcome> = {};
    let retryableLeft = 0;
    await Promise.all(
      targets.map(async (target, i) => {
        const key = `${target.kind}_${i}`;
        if (claim.done.has(key)) return;
        const channel: Channel = deps.channels(target, key);
        const notification: Notification = {
          type: claim.decision === 'digest' ? 'digest' : 'alert',
          idempotencyKey: `${event.alertId}:${event.kind}:${key}`,
          event,
          deviceName: name,
          site,
          text,
          suppressedBefore: claim.suppressedBefore,
        };
        try {
          await retryWithBackoff(() => channel.send(notification), {
            ...deps.options.retry,
            isRetryable: (err) => !(err instanceof ChannelError) || err.retryable,
            onAttempt: (attempt, err) => {
              attempts.push({
                kind: event.kind,
                channel: key,
                attempt,
                outcome:
                  err === undefined ? 'delivered' : isPermanent(err) ? 'permanent-error' : 'retryable-error',
                atMs: deps.clock.nowMs(),
                ...(err === undefined ? {} : { error: String((err as Error).message ?? err).slice(0, 300) }),
              });
            },
          });
          outcomes[key] = 'delivered';
          this.counters.delivered++;
        } catch (err) {
          if (isPermanent(err)) {
            outcomes[key] = 'failed';
            this.counters.failed++;
          } else retryableLeft++;
          const code = err instanceof ChannelError ? err.code : undefined;
          alog.warn({ channel: key, err: (err as Error).message, code }, 'notification delivery failed');
        }
      }),
    );
    await deps.records.finish(event.alertId, event.kind, outcomes, attempts, retryableLeft === 0);
    if (retryableLeft > 0) {
      throw new CloudError(
        CloudErrorCodes.TRANSIENT,
        `${retryableLeft} channel(s) failed for ${event.alertId}/${event.kind}`,
      );
    }
    alog.info({ decision: claim.decision, channels: outcomes }, 'alert notified');
    return { status: 'delivered', decision: claim.decision, channels: outcomes };
  }
}

function isPermanent(err: unknown): boolean {
  return err instanceof ChannelError && !err.retryable;
}
