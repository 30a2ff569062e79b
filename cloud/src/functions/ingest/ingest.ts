/**
 * The ingest logic, behind ports: transport identity -> decode -> validate -> admit (the
 * batch, its devices and sequences are the sending gateway's; admit.ts) -> enrich -> bucket
 * -> persist -> rule steps -> publish transitions, alongside the gateway's state
 * (gateways/<id>: last batch, newest reading, sequence gaps, health; gateway-state.ts). Permanent failures (the bytes can never become a batch)
 * are dead-lettered and acknowledged; anything else that throws is transient and makes
 * Pub/Sub redeliver, which is safe because every step is idempotent:
 *  - bucket columns are keyed by (gateway, first seq): a redelivery rewrites the same field;
 *  - shard state is guarded by sequence in a transaction: a redelivery applies nothing;
 *  - transitions are remembered per shard by sequence: a redelivery republishes the same
 *    events, which notify dedups by alert id + kind.
 */
import type { AlertEvent, Clock, Reading } from '@edgeflow/shared';
import { isEdgeflowError } from '@edgeflow/shared';
import type { Logger } from 'pino';
import { CloudError, CloudErrorCodes } from '../../adapters/errors.ts';
import { admitBatch, payloadMismatch, seqCeiling, transportGateway } from './admit.ts';
import { type BucketOptions, type BucketWrite, bucketReadings, type Enrichment } from './bucket.ts';
import { type BatchFacts, foldBatch, newestReceiptMs, seqRunsOf } from './gateway-state.ts';
import type { AlertBus, DeadLetterStore, GatewayStateStore, ReadingStore } from './ports.ts';
import { MAX_REJECTION_SAMPLES, type PreparedBatch, prepareBatch, type TelemetryBatch } from './prepare.ts';
import type { ProfileCache } from './profile-cache.ts';
import { UNREGISTERED_SITE, unitOf } from './profile-cache.ts';
import { applyToShard, type RuleStepper, type SeriesReadings, type ShardInput, shardOf } from './shard.ts';

export { type PreparedBatch, prepareBatch, type TelemetryBatch } from './prepare.ts';

export interface IngestMessage {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly publishTimeMs: number | undefined;
  readonly deliveryAttempt: number | undefined;
  readonly subscription: string | undefined;
  /**
   * The topic the message was published to, from the CloudEvent source (set by the push
   * endpoint, never by the publisher): the sending gateway's identity.
   */
  readonly transportTopic: string | undefined;
}

export interface IngestOptions {
  readonly bucket: BucketOptions;
  /** Latest-value shard documents per gateway (fixed: changing it re-homes series). */
  readonly latestShards: number;
  /** How far past a gateway's last seen sequence a reading may be; further ones are dropped. */
  readonly maxSeqJump: number;
  /** Test-only: throw after all writes, once per batch per instance (EDGEFLOW_TEST_FAIL_AFTER_WRITE). */
  readonly failAfterWrite: boolean;
}

export interface IngestDeps {
  readonly decode: (bytes: Uint8Array) => TelemetryBatch;
  readonly profiles: ProfileCache;
  readonly readings: ReadingStore;
  readonly gateways: GatewayStateStore;
  readonly bus: AlertBus;
  readonly deadLetters: DeadLetterStore;
  readonly rules: RuleStepper;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: IngestOptions;
  /** Firestore writes of this instance so far (as billed), reported with each batch. */
  readonly writes?: { readonly writes: number };
}

export interface IngestCounters {
  batches: number;
  deadLettered: number;
  readingsAccepted: number;
  readingsRejected: number;
  alertsRejected: number;
  /** Batches dead-lettered for their transport identity (none, or the payload names another gateway). */
  identityRejected: number;
  /** Readings dropped: their device is not the sending gateway's. */
  foreignDeviceReadings: number;
  /** Alerts dropped: of another gateway, or of a device that is not the sending gateway's. */
  foreignAlerts: number;
  /** Readings dropped: sequence too far past the gateway's last seen one. */
  seqJumpReadings: number;
  /** Unregistered devices flagged because a gateway other than their first reported them. */
  unregisteredFlagged: number;
  transitionsPublished: number;
  /** Cloud transitions not published because the edge had already reported them. */
  transitionsSuppressed: number;
  edgeAlertsForwarded: number;
  /** Batches whose gateway health map did not validate (the previous health was kept). */
  healthRejected: number;
  /** Sequence gaps detected on gateways/<id> (each new hole in a gateway's seqs). */
  seqGapsDetected: number;
}

export function newCounters(): IngestCounters {
  return {
    batches: 0,
    deadLettered: 0,
    readingsAccepted: 0,
    readingsRejected: 0,
    alertsRejected: 0,
    identityRejected: 0,
    foreignDeviceReadings: 0,
    foreignAlerts: 0,
    seqJumpReadings: 0,
    unregisteredFlagged: 0,
    transitionsPublished: 0,
    transitionsSuppressed: 0,
    edgeAlertsForwarded: 0,
    healthRejected: 0,
    seqGapsDetected: 0,
  };
}

export interface Plan {
  readonly buckets: BucketWrite[];
  readonly shards: ShardInput[];
}

/** Enrich + bucket + group per shard: pure and synchronous (measured by the benchmark). */
export function planWrites(
  prepared: PreparedBatch,
  profiles: ReadonlyMap<string, import('@edgeflow/shared').DeviceProfile | undefined>,
  options: IngestOptions,
): Plan {
  const gatewayId = prepared.batch.gatewayId;
  const enrich = (deviceId: string, metric: string): Enrichment => {
    const p = profiles.get(deviceId);
    return {
      site: p?.site ?? UNREGISTERED_SITE,
      name: p?.name ?? deviceId,
      unit: unitOf(p, metric),
      registered: p !== undefined,
    };
  };
  const buckets = bucketReadings(prepared.readings, gatewayId, prepared.firstSeq, enrich, options.bucket);
  const series = new Map<string, { deviceId: string; metric: string; readings: Reading[] }>();
  let last: { deviceId: string; metric: string; readings: Reading[] } | undefined;
  for (const r of prepared.readings) {
    if (last === undefined || last.deviceId !== r.deviceId || last.metric !== r.metric) {
      const key = `${r.deviceId}:${r.metric}`;
      last = series.get(key);
      if (last === undefined) {
        last = { deviceId: r.deviceId, metric: r.metric, readings: [] };
        series.set(key, last);
      }
    }
    last.readings.push(r);
  }
  const perShard = new Map<number, SeriesReadings[]>();
  for (const s of series.values()) {
    const shard = shardOf(s.deviceId, options.latestShards);
    let list = perShard.get(shard);
    if (!list) {
      list = [];
      perShard.set(shard, list);
    }
    list.push({ ...s, profile: profiles.get(s.deviceId) });
  }
  const shards = [...perShard.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([shard, list]) => ({
      gatewayId,
      shard,
      firstSeq: prepared.firstSeq,
      lastSeq: prepared.lastSeq,
      series: list,
    }));
  return { buckets, shards };
}

export type IngestOutcome =
  | { readonly status: 'dead-lettered'; readonly code: string; readonly reason: string }
  | {
      readonly status: 'persisted';
      readonly batchId: string;
      readonly readings: number;
      readonly rejected: number;
      /** Readings and alerts dropped by the trust checks (admit.ts). */
      readonly dropped: number;
      readonly buckets: number;
      readonly transitions: number;
      readonly edgeAlerts: number;
    };

/** Edge transitions remembered per instance, to not publish the cloud's copies again. */
const EDGE_REPORTED_LIMIT = 50_000;

export class Ingestor {
  readonly deps: IngestDeps;
  readonly counters: IngestCounters = newCounters();
  readonly #failedOnce = new Set<string>();
  /**
   * `alertId:kind` of edge transitions forwarded recently. Edge alerts skip the gateway's
   * linger, so they arrive before the readings that caused them; when the cloud rules then
   * derive the same transition (same deterministic id), publishing it again would only make
   * notify dedup it. Best effort and per instance: notify's dedup stays the authority.
   */
  readonly #edgeReported = new Set<string>();

  constructor(deps: IngestDeps) {
    this.deps = deps;
  }

  async handle(msg: IngestMessage, log: Logger = this.deps.logger): Promise<IngestOutcome> {
    const { deps } = this;
    this.counters.batches++;
    const transport = transportGateway(msg.transportTopic);
    if (!transport.ok) {
      this.counters.identityRejected++;
      return this.#deadLetter(msg, transport.code, transport.reason, log);
    }
    let decoded: PreparedBatch;
    try {
      if (msg.data.length === 0) throw new CloudError(CloudErrorCodes.BAD_MESSAGE, 'message has no data');
      decoded = prepareBatch(msg.data, deps.decode);
    } catch (err) {
      const permanent =
        isEdgeflowError(err) || (err instanceof CloudError && err.code === CloudErrorCodes.BAD_MESSAGE);
      if (!permanent) throw err;
      return this.#deadLetter(
        msg,
        (err as { code: string }).code,
        (err as Error).message,
        log,
        transport.topic,
      );
    }
    const gatewayId = transport.gatewayId;
    const mismatch = payloadMismatch(decoded.batch.gatewayId, gatewayId);
    if (mismatch) {
      this.counters.identityRejected++;
      return this.#deadLetter(msg, mismatch.code, mismatch.reason, log, transport.topic);
    }
    const blog = log.child({ batchId: decoded.batchId, gatewayId });
    const [{ profiles, newlyUnregistered, owners, flagged }, highestSeq] = await Promise.all([
      deps.profiles.lookup(decoded.deviceIds, gatewayId),
      deps.readings.highestSeq(gatewayId, deps.options.latestShards),
    ]);
    for (const deviceId of newlyUnregistered) {
      if (owners.get(deviceId) === gatewayId)
        blog.warn({ deviceId }, 'unregistered device: persisted under the unregistered profile');
    }
    for (const deviceId of flagged) {
      blog.warn(
        { deviceId, firstGatewayId: owners.get(deviceId), code: CloudErrorCodes.DEVICE_NOT_OF_GATEWAY },
        'unregistered device reported by a second gateway: its readings are dropped and the device flagged',
      );
    }
    const admitted = admitBatch(decoded, {
      gatewayId,
      owners,
      highestSeq,
      maxSeqJump: deps.options.maxSeqJump,
    });
    const prepared: PreparedBatch = { ...decoded, readings: admitted.readings, alerts: admitted.alerts };
    const dropped = admitted.foreignDeviceReadings + admitted.foreignAlerts + admitted.seqJumpReadings;
    if (prepared.rejectedReadings + prepared.rejectedAlerts + dropped > 0) {
      blog.warn(
        {
          rejectedReadings: prepared.rejectedReadings,
          rejectedAlerts: prepared.rejectedAlerts,
          foreignDeviceReadings: admitted.foreignDeviceReadings,
          foreignAlerts: admitted.foreignAlerts,
          seqJumpReadings: admitted.seqJumpReadings,
          samples: [...prepared.rejectionSamples, ...admitted.samples].slice(0, MAX_REJECTION_SAMPLES * 2),
        },
        'rejected invalid readings',
      );
    }

    const plan = planWrites(prepared, profiles, deps.options);
    await deps.readings.writeBuckets(plan.buckets);
    const transitions: AlertEvent[] = [];
    for (const input of plan.shards) {
      const events = await deps.readings.updateShard(input.gatewayId, input.shard, (current) =>
        applyToShard(current, input, deps.rules),
      );
      transitions.push(...events);
    }
    const edgeAlerts = prepared.alerts.map((a) => (a.gatewayId ? a : { ...a, gatewayId }));
    const fresh = transitions.filter((t) => !this.#edgeReported.has(`${t.alertId}:${t.kind}`));
    const toPublish = [...edgeAlerts, ...fresh];
    // The decoded batch's seqs (before the ownership checks, which drop readings the gateway
    // did send), so that dropped readings are not taken for lost ones.
    const facts: BatchFacts = {
      runs: seqRunsOf(
        decoded.batch.readings,
        seqCeiling(decoded, { highestSeq, maxSeqJump: deps.options.maxSeqJump }),
      ),
      newestReadingAtMs: newestReceiptMs(prepared.readings),
      health: decoded.batch.health,
      healthRejected: decoded.batch.healthRejected === true,
    };
    const nowMs = deps.clock.nowMs();
    const [fold] = await Promise.all([
      deps.gateways.update(gatewayId, (current) => {
        const out = foldBatch(current, gatewayId, facts, nowMs);
        return { next: out.state, result: out };
      }),
      toPublish.length > 0 ? deps.bus.publish(toPublish, { batchId: prepared.batchId }) : undefined,
    ]);
    if (facts.healthRejected) {
      blog.warn(
        { code: CloudErrorCodes.GATEWAY_HEALTH_REJECTED },
        "the batch's gateway health did not validate: the previous health is kept",
      );
    }
    if (fold.opened.length > 0) {
      blog.warn(
        {
          code: CloudErrorCodes.SEQ_GAP,
          gaps: fold.opened.slice(0, MAX_REJECTION_SAMPLES).map((g) => [g.fromSeq, g.toSeq]),
          seqGapCount: fold.state.seqGapCount,
          missingReadings: fold.state.missingReadings,
        },
        'sequence gap: readings of the gateway never arrived (so far)',
      );
    }

    this.counters.readingsAccepted += prepared.readings.length;
    this.counters.readingsRejected += prepared.rejectedReadings;
    this.counters.alertsRejected += prepared.rejectedAlerts;
    this.counters.foreignDeviceReadings += admitted.foreignDeviceReadings;
    this.counters.foreignAlerts += admitted.foreignAlerts;
    this.counters.seqJumpReadings += admitted.seqJumpReadings;
    this.counters.unregisteredFlagged += flagged.length;
    for (const a of edgeAlerts) this.#rememberEdge(`${a.alertId}:${a.kind}`);
    this.counters.transitionsPublished += fresh.length;
    this.counters.transitionsSuppressed += transitions.length - fresh.length;
    this.counters.edgeAlertsForwarded += edgeAlerts.length;
    if (facts.healthRejected) this.counters.healthRejected++;
    this.counters.seqGapsDetected += fold.opened.length;
    if (deps.options.failAfterWrite && !this.#failedOnce.has(prepared.batchId)) {
      if (this.#failedOnce.size > 10_000) this.#failedOnce.clear();
      this.#failedOnce.add(prepared.batchId);
      throw new CloudError(CloudErrorCodes.TEST_FAULT, `test fault after write of ${prepared.batchId}`);
    }
    blog.info(
      {
        readings: prepared.readings.length,
        rejected: prepared.rejectedReadings,
        buckets: plan.buckets.length,
        shards: plan.shards.length,
        transitions: transitions.length,
        edgeAlerts: edgeAlerts.length,
        ...(deps.writes ? { firestoreWritesTotal: deps.writes.writes } : {}),
      },
      'batch persisted',
    );
    return {
      status: 'persisted',
      batchId: prepared.batchId,
      readings: prepared.readings.length,
      rejected: prepared.rejectedReadings,
      dropped,
      buckets: plan.buckets.length,
      transitions: transitions.length,
      edgeAlerts: edgeAlerts.length,
    };
  }

  async #deadLetter(
    msg: IngestMessage,
    code: string,
    reason: string,
    log: Logger,
    sourceTopic?: string,
  ): Promise<IngestOutcome> {
    await this.deps.deadLetters.record({
      source: 'ingest',
      subscription: msg.subscription,
      ...(sourceTopic === undefined ? {} : { sourceTopic }),
      messageId: msg.messageId,
      code,
      reason,
      data: msg.data,
      attributes: msg.attributes,
      deliveryAttempt: msg.deliveryAttempt,
      publishTimeMs: msg.publishTimeMs,
    });
    this.counters.deadLettered++;
    log.warn({ messageId: msg.messageId, code, reason, bytes: msg.data.length }, 'batch dead-lettered');
    return { status: 'dead-lettered', code, reason };
  }

  #rememberEdge(key: string): void {
    if (this.#edgeReported.size >= EDGE_REPORTED_LIMIT) {
      // Oldest first (Set keeps insertion order): a bounded memory of recent transitions.
      const oldest = this.#edgeReported.values().next().value;
      if (oldest !== undefined) this.#edgeReported.delete(oldest);
    }
    this.#edgeReported.add(key);
  }
}
