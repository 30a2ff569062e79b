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
  // Held by the login throttle (registry/login-throttle.ts) before any scrypt ran.
  'throttled',
  'banned',
] as const;
export type AuthRefusalReason = (typeof AUTH_REFUSAL_REASONS)[number];

export interface BrokerMetrics {
  readonly readingsAccepted: Counter;
  /** Children pre-bound per reason: the hot path does no label lookup. */
  readonly readingsRejected: Readonly<Record<RejectReason, { inc(n?: number): void }>>;
  readonly authRefusals: Counter<'reason'>;
  readonly aclRefusals: Counter<'action'>;
  readonly slowClientDrops: Counter;
  readonly subscriberMessagesDropped: Counter;
  readonly alerts: Counter<'kind'>;
  readonly durabilityFailures: Counter;
}

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
  new Gauge({
    name: 'edgeflow_gateway_connected_clients',
    help: 'MQTT clients currently connected.',
    registers,
    collect() {
      this.set(connectedClients());
    },
  });
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
    durabilityFailures: new Counter({
      name: 'edgeflow_gateway_durability_failures_total',
      help: 'Outbox appends that failed; the publishing client is disconnected without an ack.',
      registers,
    }),
  };
}
