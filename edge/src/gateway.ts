/**
 * The broker side of the gateway, assembled from its ports: broker + hooks, ingest, local
 * rules, registry, ops HTTP. The outbox (and the forwarder reading it) are built by main.ts
 * and passed in, so tests run this with a fake outbox whose durability they control.
 */
import type { AddressInfo } from 'node:net';
import { type AlertEvent, type Clock, type Reading, RuleEngine } from '@edgeflow/shared';
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createBrokerHooks, identityOf } from './broker/hooks.ts';
import { derivedMaxPacketBytes } from './broker/limits/packet-guard.ts';
import { BoundedPersistence } from './broker/persistence/bounded.ts';
import { type RunningBroker, startBroker } from './broker/server.ts';
import { SessionTable } from './broker/sessions.ts';
import { effectiveDefaultRules, type GatewayConfig } from './config.ts';
import { RetransmitMemory } from './dedup/retransmits.ts';
import { SameReadingWindow } from './dedup/same-reading.ts';
import { DeviceBuckets } from './fairness/device-buckets.ts';
import { TransitionLimiter } from './fairness/transition-limit.ts';
import { UnsentQuota } from './fairness/unsent-quota.ts';
import { sharedMode } from './fs/private.ts';
import { Ingest } from './ingest/ingest.ts';
import type { UnsequencedReading } from './ingest/types.ts';
import { type HealthReport, type OpsServer, startOpsServer } from './ops/http.ts';
import { createBrokerMetrics, registerSessionGauges, type SessionMetrics } from './ops/metrics.ts';
import { TokenBucket } from './ops/rate-limit.ts';
import { loadAccounts, watchRegistryFile } from './registry/accounts.ts';
import { createLoginThrottleMetrics } from './registry/auth-metrics.ts';
import { type Account, Authenticator } from './registry/authenticator.ts';
import { LoginThrottle } from './registry/login-throttle.ts';
import { ScryptWorkerPool } from './registry/scrypt-pool.ts';
import { alertTopic, LocalRules, type RuleEvaluator, ruleResolver } from './rules/local-rules.ts';

/** The outbox's write side (edge/src/outbox/types.ts `Outbox`), as the broker side uses it. */
export interface GatewayOutbox {
  appendReadings(readings: readonly UnsequencedReading[], onDurable: (err: Error | null) => void): Reading[];
  appendAlert(alert: AlertEvent, onDurable: (err: Error | null) => void): void;
  stats(): { records: number; bytes: number; oldestAgeMs: number; evictedReadings: number; nextSeq: number };
  /** Seq from which readings are unsent (outbox/types.ts); without it no per-device unsent cap applies. */
  unsentFromSeq?(): number;
}

export interface GatewayPorts {
  readonly outbox: GatewayOutbox;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Defaults to the shared RuleEngine over the configured rules. */
  readonly rules?: RuleEvaluator;
  /** Extra fields for /healthz (e.g. forwarder state). */
  readonly health?: () => Record<string, unknown>;
}

export interface RunningGateway {
  /** Undefined when the plaintext listener is off (`mqtt.plaintext: false`). */
  readonly mqtt: AddressInfo | undefined;
  readonly mqtts: AddressInfo | undefined;
  readonly http: AddressInfo;
  readonly broker: RunningBroker;
  /** Re-reads the registry now (also done on file change). */
  reloadRegistry(): Promise<void>;
  /** Stops accepting, disconnects clients, stops the tick and the HTTP server. */
  stop(): Promise<void>;
}

/** How long shutdown waits for received readings to become durable before disconnecting. */
const SHUTDOWN_SETTLE_MS = 5000;

type PausableClient = Client & { pause?: () => void };

function clientsOf(broker: RunningBroker): Record<string, PausableClient> {
  return (broker.aedes as unknown as { clients: Record<string, PausableClient> }).clients;
}

export async function startGateway(config: GatewayConfig, ports: GatewayPorts): Promise<RunningGateway> {
  const { outbox, clock, logger, registry } = ports;
  if (config.allowAnonymous) {
    logger.warn(
      { allowAnonymous: true },
      '!!! ANONYMOUS MQTT CLIENTS ARE ALLOWED (dev-only flag): any client may publish sensors/... and subscribe to everything. Never enable this on a real site. !!!',
    );
  }

  const scrypt = new ScryptWorkerPool({ size: config.mqtt.maxConcurrentAuth });
  const { enabled: throttling, ...throttleConfig } = config.mqtt.loginThrottle;
  const authenticator = new Authenticator({
    allowAnonymous: config.allowAnonymous,
    maxConcurrentVerifications: config.mqtt.maxConcurrentAuth,
    maxQueuedVerifications: config.mqtt.maxQueuedAuth,
    throttle: throttling
      ? new LoginThrottle(throttleConfig, clock, createLoginThrottleMetrics(registry))
      : undefined,
    verify: (secret, stored) => scrypt.verify(secret, stored),
  });
  let accounts: ReadonlyMap<string, Account> = await loadAccounts(config.registryFile, config.operators);
  authenticator.setAccounts(accounts);
  logger.info({ registryFile: config.registryFile, accounts: accounts.size }, 'device registry loaded');
  const registryMode = await sharedMode(config.registryFile);
  if (registryMode !== undefined) {
    logger.warn(
      { registryFile: config.registryFile, mode: registryMode },
      'device registry is readable by group or others (it holds every secret hash): chmod 600 it; the devices CLI writes it 0600',
    );
  }

  let broker: RunningBroker | undefined;
  const metrics = createBrokerMetrics(registry, () => broker?.aedes.connectedClients ?? 0);
  const rejectLog = new TokenBucket(
    clock,
    config.ingest.rejectLogPerSec,
    Math.max(1, config.ingest.rejectLogPerSec * 2),
  );

  // Retained payload = the transition plus the rules currently raised on the series, so a
  // panel connecting later sees the full current state even with several rules per metric.
  const raised = new Map<string, Set<string>>();
  const onAlertDurable = (err: Error | null): void => {
    if (err) logger.error({ err }, 'alert could not be made durable in the outbox');
  };
  const onAlertPublished = (err?: Error): void => {
    if (err) logger.error({ err }, 'alert could not be published on the local broker');
  };
  const emitAlert = (alert: AlertEvent): void => {
    metrics.alerts.labels(alert.kind).inc();
    const topic = alertTopic(alert);
    let active = raised.get(topic);
    if (active === undefined) {
      active = new Set();
      raised.set(topic, active);
    }
    if (alert.kind === 'raised') active.add(alert.ruleId);
    else active.delete(alert.ruleId);
    const payload = Buffer.from(JSON.stringify({ ...alert, active: [...active] }));
    broker?.publish({ topic, payload, qos: 1, retain: true }, onAlertPublished);
    outbox.appendAlert(alert, onAlertDurable);
    logger.info(
      {
        alertId: alert.alertId,
        kind: alert.kind,
        deviceId: alert.deviceId,
        metric: alert.metric,
        ruleId: alert.ruleId,
      },
      'alert transition',
    );
  };
  const engine =
    ports.rules ??
    new RuleEngine({
      rulesFor: ruleResolver(effectiveDefaultRules(config), config.rules.devices),
      source: 'edge',
      gatewayId: config.gatewayId,
    });
  const fairness = config.fairness;
  const localRules = new LocalRules(engine, emitAlert, {
    clock,
    limiter: new TransitionLimiter(
      fairness,
      {
        suppressed: (kind) => metrics.alertsSuppressed.labels(kind).inc(),
        overflow: (limiter) => metrics.fairnessOverflows.labels(limiter).inc(),
      },
      clock.nowMs(),
    ),
  });
  const readingOverflows = metrics.fairnessOverflows.labels('readings');
  const readingLimit = new DeviceBuckets(
    {
      ratePerSec: fairness.readingsPerSec,
      burst: fairness.readingsBurst,
      maxDevices: fairness.maxDevices,
      onOverflow: () => readingOverflows.inc(),
    },
    clock.nowMs(),
  );
  const unsentFrom = outbox.unsentFromSeq?.bind(outbox);
  const unsentQuota =
    unsentFrom &&
    new UnsentQuota(
      {
        maxUnsentReadings: fairness.maxUnsentReadingsPerDevice,
        maxDevices: fairness.maxDevices,
        onOverflow: () => metrics.fairnessOverflows.labels('unsent').inc(),
      },
      unsentFrom,
    );

  const { dedup } = config;
  const retransmits = new RetransmitMemory({
    perClient: dedup.retransmitsPerClient,
    maxClients: dedup.maxClients,
    onOverflow: () => metrics.dedupOverflows.labels('retransmits').inc(),
  });
  const sameReading =
    dedup.readingsPerSeries > 0
      ? new SameReadingWindow({
          perSeries: dedup.readingsPerSeries,
          maxSeries: dedup.maxSeries,
          onOverflow: () => metrics.dedupOverflows.labels('same_reading').inc(),
        })
      : undefined;
  const ingest = new Ingest({
    sink: outbox,
    clock,
    limits: config.ingest,
    metrics,
    logger,
    rejectLog,
    readingLimit,
    ...(unsentQuota ? { unsentQuota } : {}),
    onReadings: (readings) => localRules.onReadings(readings),
    retransmits,
    ...(sameReading ? { sameReading } : {}),
  });
  const { persistence, sessions, sweepSessions } = createSessionState(config, metrics.session, clock, logger);
  registerSessionGauges(registry, () => persistence.stats());
  const hooks = createBrokerHooks({
    authenticator,
    ingest,
    metrics,
    logger,
    slowClient: config.mqtt.slowClient,
    refusalLog: new TokenBucket(clock, 5, 10),
    clientIdPolicy: config.mqtt.clientIdPolicy,
    sessions,
    clock,
  });
  broker = await startBroker(
    {
      host: config.mqtt.host,
      port: config.mqtt.plaintext ? config.mqtt.port : undefined,
      tls: config.mqtt.tls,
      drainTimeoutMs: config.mqtt.slowClient.undrainedTimeoutMs * 2,
      limits: {
        ...config.mqtt.limits,
        maxPacketBytes:
          config.mqtt.limits.maxPacketBytes ?? derivedMaxPacketBytes(config.ingest.maxPayloadBytes),
      },
    },
    { ...hooks, persistence },
    logger,
    metrics,
  );
  const running = broker;
  const sessionSweep = setInterval(sweepSessions, sessionSweepMs(config.mqtt.sessionExpiryMs));
  sessionSweep.unref();

  const tick = setInterval(() => localRules.tick(clock.nowMs()), config.rules.tickMs);
  tick.unref();

  const reloadRegistry = async (): Promise<void> => {
    try {
      accounts = await loadAccounts(config.registryFile, config.operators, accounts);
    } catch (err) {
      logger.error({ err }, 'device registry reload failed; keeping the previous accounts');
      return;
    }
    authenticator.setAccounts(accounts);
    // Devices removed, or whose role or secret changed, lose their live connection too.
    let dropped = 0;
    for (const client of Object.values(clientsOf(running))) {
      const identity = identityOf(client);
      if (identity && !authenticator.stillValid(identity)) {
        dropped++;
        client.close();
      }
    }
    sessions.revoke((id) => !accounts.has(id));
    logger.info({ accounts: accounts.size, disconnected: dropped }, 'device registry reloaded');
  };
  const stopWatching = watchRegistryFile(config.registryFile, config.registryPollMs, () => {
    void reloadRegistry();
  });

  let listening = true;
  const health = (): HealthReport => {
    const stats = outbox.stats();
    return {
      ok: listening,
      gatewayId: config.gatewayId,
      connectedClients: running.aedes.connectedClients,
      outbox: stats,
      ...ports.health?.(),
    };
  };
  let ops: OpsServer;
  try {
    ops = await startOpsServer(config.http, registry, health);
  } catch (err) {
    clearInterval(tick);
    clearInterval(sessionSweep);
    stopWatching();
    await running.close();
    await scrypt.close();
    throw err;
  }

  return {
    mqtt: running.tcp,
    mqtts: running.tls,
    http: ops.address,
    broker: running,
    reloadRegistry,
    async stop() {
      listening = false;
      clearInterval(tick);
      clearInterval(sessionSweep);
      stopWatching();
      // Stop accepting, stop reading from connected clients, and let what was already
      // received become durable so its PUBACKs still go out; then disconnect everyone.
      await running.stopAccepting();
      for (const client of Object.values(clientsOf(running))) client.pause?.();
      await ingest.settle(SHUTDOWN_SETTLE_MS);
      // mqtt-packet corks each write and uncorks on the next tick: let the last PUBACKs reach
      // the sockets before aedes destroys them.
      await new Promise((resolve) => setImmediate(resolve));
      await running.close();
      await ops.close();
      await scrypt.close();
    },
  };
}

/** Expiry is checked a few times per `sessionExpiryMs`, at most once a minute. */
function sessionSweepMs(sessionExpiryMs: number): number {
  return Math.min(60_000, Math.max(25, Math.floor(sessionExpiryMs / 4)));
}

/** The bounded session store aedes uses, and the table of sessions per identity over it. */
function createSessionState(
  config: GatewayConfig,
  metrics: SessionMetrics,
  clock: Clock,
  logger: Logger,
): { persistence: BoundedPersistence; sessions: SessionTable; sweepSessions: () => void } {
  const { mqtt } = config;
  const persistence = new BoundedPersistence(
    {
      maxRetainedMessages: mqtt.maxRetainedMessages,
      maxRetainedBytes: mqtt.maxRetainedBytes,
      maxQueuedMessages: mqtt.maxQueuedPerSession,
      maxQueuedBytes: mqtt.maxQueuedBytesPerSession,
    },
    {
      onRetainedRefused: (topic) => {
        metrics.retainedRefused.inc();
        logger.warn({ topic: topic.slice(0, 200), ...persistence.stats() }, 'retained store full');
      },
      onQueuedDropped: () => metrics.queuedDropped.inc(),
    },
  );
  const sessions = new SessionTable(
    { maxSessionsPerIdentity: mqtt.maxSessionsPerIdentity, sessionExpiryMs: mqtt.sessionExpiryMs },
    {
      removeSession: (clientId) => persistence.removeSession(clientId),
      onSessionRemoved: (reason, clientId) => {
        metrics.sessionsRemoved.labels(reason).inc();
        logger.info({ reason, clientId: clientId.slice(0, 128) }, 'persistent session removed');
      },
      onRemoveFailed: (err, clientId) =>
        logger.error({ err, clientId: clientId.slice(0, 128) }, 'persistent session removal failed'),
    },
  );
  return { persistence, sessions, sweepSessions: () => sessions.sweep(clock.nowMs()) };
}
