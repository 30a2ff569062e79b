/**
 * The broker side's metrics, registered once on the registry shared with the outbox and the
 * forwarder (one /metrics page for the whole gateway). Label values are fixed sets, so a
 * misbehaving device cannot blow up cardinality.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { REJECT_REASONS, type RejectReason } from '../ingest/parse.ts';

export const AUTH_REFUSAL_REASONS = ['anonymous', 'unknown_user', 'bad_password', 'overloaded'] as const;
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
  /** Children pre-bound per limit. */
  readonly limitHits: Readonly<Record<LimitKind, { inc(n?: number): void }>>;
  readonly tlsHandshakeFailures: Counter;
  readonly brokerErrors: Counter;
}

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
  return {
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
