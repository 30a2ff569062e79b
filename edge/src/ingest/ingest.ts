/**
 * The publish path for `sensors/...`: parse, count, append to the outbox, feed the rules.
 *
 * Acknowledgement: `done` is aedes' authorizePublish callback, and aedes writes the PUBACK
 * (QoS 1) or PUBREC (QoS 2) only after it is called (lib/handlers/publish.js runs
 * authorizePublish, then enqueuePublish writes the ack). So for QoS 1/2 `done` is handed to
 * the outbox as the durability callback itself: the ack goes out once the readings are
 * fsynced, with no closure or promise per packet. A durability failure reaches aedes as an
 * error, which closes the connection without an ack (MQTT 3.1.1 has no negative PUBACK), so
 * the device retries. QoS 0 is appended without waiting.
 *
 * Rejected input is acknowledged anyway: the message can never become valid, and a device
 * that never gets its PUBACK retransmits it forever (and stalls its in-flight window). The
 * rejection is counted per reason and logged at a bounded rate instead.
 */
import type { Clock, Reading } from '@edgeflow/shared';
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../ops/metrics.ts';
import type { TokenBucket } from '../ops/rate-limit.ts';
import { type IngestLimits, parsePublish } from './parse.ts';
import type { UnsequencedReading } from './types.ts';

/** The write side of the outbox, as the ingest path uses it. */
export interface ReadingSink {
  appendReadings(readings: readonly UnsequencedReading[], onDurable: (err: Error | null) => void): Reading[];
}

export interface IngestDeps {
  readonly sink: ReadingSink;
  readonly clock: Clock;
  readonly limits: IngestLimits;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
  readonly rejectLog: TokenBucket;
  readonly onReadings: (readings: readonly Reading[]) => void;
}

function ignoreDurability(): void {}

export class Ingest {
  readonly #deps: IngestDeps;

  constructor(deps: IngestDeps) {
    this.#deps = deps;
  }

  onPublish(
    topic: string,
    payload: Buffer,
    qos: number,
    clientId: string,
    done: (err?: Error | null) => void,
  ): void {
    const deps = this.#deps;
    const result = parsePublish(topic, payload, deps.clock.nowMs(), deps.limits);
    if (typeof result === 'string') {
      deps.metrics.readingsRejected[result].inc();
      const suppressed = deps.rejectLog.take();
      if (suppressed >= 0) {
        deps.logger.warn(
          { reason: result, topic: topic.slice(0, 200), clientId, payloadBytes: payload.length, suppressed },
          'reading rejected',
        );
      }
      done(null);
      return;
    }
    let readings: Reading[];
    try {
      readings = deps.sink.appendReadings(result, qos > 0 ? done : ignoreDurability);
    } catch (err) {
      // e.g. the outbox is closing during shutdown: no ack, the device retries elsewhere/later.
      deps.metrics.durabilityFailures.inc();
      done(err as Error);
      return;
    }
    deps.metrics.readingsAccepted.inc(readings.length);
    deps.onReadings(readings);
    if (qos === 0) done(null);
  }
}
