/**
 * The broker side's metrics, registered once on the registry shared with the outbox and the
 * forwarder (one /metrics page for the whole gateway). Label values are fixed sets, so a
 * misbehaving device cannot blow up cardinality.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { REJECT_REASONS, type RejectReason } from '../ingest/parse.ts';

export const AUTH_REFUSAL_REASONS = [
  'anonymous',
  'unknown_user',
  'bad_password',
  'overloaded',
  'client_id_mismatch',
  'too_many_sessions',
  // Held by the login throttle (registry/login-throttle.ts) before any scrypt ran.
  'throttled',
  'banned',
] as const;
export type AuthRefusalReason = (typeof AUTH_REFUSAL_REASONS)[number];

/** Broker limits that refuse or disconnect a client (broker/limits/, broker/server.ts). */
export const LIMIT_KINDS = [
  'packet_size_pre_connect',
  'packet_size',
  'connect_timeout',
  'max_connections',
  'subscriptions',
  'tls_handshake_timeout',
] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

export interface BrokerMetrics {
  readonly readingsAccepted: Counter;
  /** Children pre-bound per reason: the hot path does no label lookup. */
  readonly readingsRejected: Readonly<Record<RejectReason, { inc(n?: number): void }>>;
  readonly authRefusals: Counter<'reason'>;
  readonly aclRefusals: Counter<'action'>;
  readonly slowClientDrops: Counter;
  readonly subscriberMessagesDropped: Counter;
  readonly alerts: Counter<'kind'>;
  /** Transitions not emitted because their device is over its transition rate. */
  readonly alertsSuppressed: Counter<'kind'>;
  /** A fairness bound was hit (device bucket map, remembered suppressed episodes). */
  readonly fairnessOverflows: Counter<'limiter'>;
  readonly durabilityFailures: Counter;
  /** Readings a device sent twice, dropped, by reason (children pre-bound; dedup/). */
  readonly duplicatesDropped: Readonly<Record<DuplicateReason, { inc(n?: number): void }>>;
  /** A dedup memory bound was hit (the oldest client or series forgotten), by memory. */
  readonly dedupOverflows: Counter<'memory'>;
  /** Children pre-bound per limit. */
  readonly limitHits: Readonly<Record<LimitKind, { inc(n?: number): void }>>;
  readonly tlsHandshakeFailures: Counter;
  readonly brokerErrors: Counter;
  readonly session: SessionMetrics;
}

/** Why a delivery was withheld from a subscriber (authorizeForward). */
export const FORWARD_REFUSAL_REASONS = ['acl', 'rejected_input', 'no_identity'] as const;
export type ForwardRefusalReason = (typeof FORWARD_REFUSAL_REASONS)[number];

export interface SessionMetrics {
  readonly forwardRefused: Readonly<Record<ForwardRefusalReason, { inc(n?: number): void }>>;
  readonly retainStripped: Counter;
  readonly retainedRefused: Counter;
  readonly queuedDropped: Counter;
  /**
   * Persistent sessions removed: `expired` offline too long, `evicted` for a newer one,
   * `revoked` with their account.
   */
  readonly sessionsRemoved: Counter<'reason'>;
}

/** `retransmit`: a QoS 1 PUBLISH sent again (DUP); `same_reading`: same device time and value again. */
export const DUPLICATE_REASONS = ['retransmit', 'same_reading'] as const;
export type DuplicateReason = (typeof DUPLICATE_REASONS)[number];
export const DEDUP_MEMORIES = ['retransmits', 'same_reading'] as const;

export const FAIRNESS_LIMITERS = ['readings', 'transitions', 'suppressed_episodes', 'unsent'] as const;

export function createBrokerMetrics(registry: Registry, connectedClients: () => number): BrokerMetrics {
  const registers = [registry];
  const readingsRejected = new Counter({
    name: 'edgeflow_gateway_readings_rejected_total',
    help: 'Readings refused at ingest, by reason (the whole MQTT message is refused).',
    labelNames: ['reason'],
    registers,
  });
  const rejectedByReason = {} as Record<RejectReason, { inc(n?: number): void }>;
  for (const reason of REJECT_REASONS) {
    rejectedByReason[reason] = readingsRejected.labels(reason);
    rejectedByReason[reason].inc(0);
  }
  const authRefusals = new Counter({
    name: 'edgeflow_gateway_auth_refusals_total',
    help: 'CONNECTs refused by authentication, by reason.',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of AUTH_REFUSAL_REASONS) authRefusals.labels(reason).inc(0);
  const aclRefusals = new Counter({
    name: 'edgeflow_gateway_acl_refusals_total',
    help: 'PUBLISH or SUBSCRIBE refused by authorization, by action.',
    labelNames: ['action'],
    registers,
  });
  aclRefusals.labels('publish').inc(0);
  aclRefusals.labels('subscribe').inc(0);
  const alerts = new Counter({
    name: 'edgeflow_gateway_alerts_total',
    help: 'Local rule transitions published on alerts/<device>/<metric>, by kind.',
    labelNames: ['kind'],
    registers,
  });
  alerts.labels('raised').inc(0);
  alerts.labels('cleared').inc(0);
  const alertsSuppressed = new Counter({
    name: 'edgeflow_gateway_alerts_suppressed_total',
    help: 'Rule transitions not emitted because their device exceeded its transition rate, by kind.',
    labelNames: ['kind'],
    registers,
  });
  alertsSuppressed.labels('raised').inc(0);
  alertsSuppressed.labels('cleared').inc(0);
  const fairnessOverflows = new Counter({
    name: 'edgeflow_gateway_fairness_overflows_total',
    help: 'Per-device limiter bounds hit: devices beyond the bucket map (sharing one overflow bucket), or suppressed episodes beyond their bound (emitted instead).',
    labelNames: ['limiter'],
    registers,
  });
  for (const limiter of FAIRNESS_LIMITERS) fairnessOverflows.labels(limiter).inc(0);
  const duplicates = new Counter({
    name: 'edgeflow_gateway_duplicates_dropped_total',
    help: 'Readings a device sent twice, acknowledged and dropped, by reason: retransmit (a QoS 1 PUBLISH with DUP, same packet id and content), same_reading (same metric, device timestamp and value as a recent reading).',
    labelNames: ['reason'],
    registers,
  });
  const duplicatesByReason = {} as Record<DuplicateReason, { inc(n?: number): void }>;
  for (const reason of DUPLICATE_REASONS) {
    duplicatesByReason[reason] = duplicates.labels(reason);
    duplicatesByReason[reason].inc(0);
  }
  const dedupOverflows = new Counter({
    name: 'edgeflow_gateway_dedup_overflows_total',
    help: 'Dedup memories at their bound: the oldest client (retransmits) or series (same_reading) forgotten.',
    labelNames: ['memory'],
    registers,
  });
  for (const memory of DEDUP_MEMORIES) dedupOverflows.labels(memory).inc(0);
  new Gauge({
    name: 'edgeflow_gateway_connected_clients',
    help: 'MQTT clients currently connected.',
    registers,
    collect() {
      this.set(connectedClients());
    },
  });
  const limitHits = new Counter({
    name: 'edgeflow_gateway_limit_hits_total',
    help: 'Connections closed or requests refused by a broker limit, by limit.',
    labelNames: ['limit'],
    registers,
  });
  const hitsByLimit = {} as Record<LimitKind, { inc(n?: number): void }>;
  for (const limit of LIMIT_KINDS) {
    hitsByLimit[limit] = limitHits.labels(limit);
    hitsByLimit[limit].inc(0);
  }
  const forwardRefusals = new Counter({
    name: 'edgeflow_gateway_forward_refusals_total',
    help: 'Deliveries withheld from a subscriber at forward time (queued, retained or live), by reason.',
    labelNames: ['reason'],
    registers,
  });
  const forwardRefused = {} as Record<ForwardRefusalReason, { inc(n?: number): void }>;
  for (const reason of FORWARD_REFUSAL_REASONS) {
    forwardRefused[reason] = forwardRefusals.labels(reason);
    forwardRefused[reason].inc(0);
  }
  const sessionsRemoved = new Counter({
    name: 'edgeflow_gateway_sessions_removed_total',
    help: 'Sessions removed: expired (offline past sessionExpiryMs), evicted (per-identity cap), revoked (account removed).',
    labelNames: ['reason'],
    registers,
  });
  sessionsRemoved.labels('expired').inc(0);
  sessionsRemoved.labels('evicted').inc(0);
  sessionsRemoved.labels('revoked').inc(0);
  const session: SessionMetrics = {
    forwardRefused,
    retainStripped: new Counter({
      name: 'edgeflow_gateway_retain_stripped_total',
      help: 'Client PUBLISHes whose retain flag was cleared (only the gateway retains, on alerts/).',
      registers,
    }),
    retainedRefused: new Counter({
      name: 'edgeflow_gateway_retained_refused_total',
      help: 'Retained messages not stored because the retained store was at its count or byte cap.',
      registers,
    }),
    queuedDropped: new Counter({
      name: 'edgeflow_gateway_session_queue_dropped_total',
      help: 'Queued QoS>0 messages dropped (oldest first) from a persistent session at its cap.',
      registers,
    }),
    sessionsRemoved,
  };
  return {
    session,
    readingsAccepted: new Counter({
      name: 'edgeflow_gateway_readings_accepted_total',
      help: 'Readings accepted at ingest and appended to the outbox.',
      registers,
    }),
    readingsRejected: rejectedByReason,
    authRefusals,
    aclRefusals,
    slowClientDrops: new Counter({
      name: 'edgeflow_gateway_slow_client_drops_total',
      help: 'Subscribers disconnected because their socket stayed undrained past the timeout.',
      registers,
    }),
    subscriberMessagesDropped: new Counter({
      name: 'edgeflow_gateway_subscriber_messages_dropped_total',
      help: 'Messages not delivered to a subscriber because its bounded queue was full.',
      registers,
    }),
    alerts,
    alertsSuppressed,
    fairnessOverflows,
    durabilityFailures: new Counter({
      name: 'edgeflow_gateway_durability_failures_total',
      help: 'Outbox appends that failed; the publishing client is disconnected without an ack.',
      registers,
    }),
    duplicatesDropped: duplicatesByReason,
    dedupOverflows,
    limitHits: hitsByLimit,
    tlsHandshakeFailures: new Counter({
      name: 'edgeflow_gateway_tls_handshake_failures_total',
      help: 'TLS handshakes that failed or timed out (timeouts are also in limit_hits_total).',
      registers,
    }),
    brokerErrors: new Counter({
      name: 'edgeflow_gateway_broker_errors_total',
      help: 'Errors emitted by the aedes broker instance itself (logged; the gateway keeps running).',
      registers,
    }),
  };
}

/** Sizes of the bounded session state (broker/persistence/bounded.ts), read at scrape time. */
export function registerSessionGauges(
  registry: Registry,
  stats: () => { retainedMessages: number; retainedBytes: number; sessionsQueued: number },
): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: ReturnType<typeof stats>) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(stats()));
      },
    });
  };
  gauge(
    'edgeflow_gateway_retained_messages',
    'Retained topics held by the broker.',
    (s) => s.retainedMessages,
  );
  gauge(
    'edgeflow_gateway_retained_bytes',
    'Topic and payload bytes of the retained messages.',
    (s) => s.retainedBytes,
  );
  gauge(
    'edgeflow_gateway_session_queues',
    'Persistent sessions with queued or unacknowledged QoS>0 messages.',
    (s) => s.sessionsQueued,
  );
}
