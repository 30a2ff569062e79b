/**
 * Composition root: the only place that builds adapters (pino, prom-client registry, the
 * on-disk outbox, the Pub/Sub publisher, the forwarder) and injects them. Start-up order:
 * config -> outbox (recovers sequence numbers) -> forwarder -> broker side. Shutdown order
 * is the reverse: stop accepting and disconnect clients, stop the forwarder (it flushes what
 * it can), close the outbox (flush + fsync), exit 0.
 */
import type { AddressInfo } from 'node:net';
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadGatewayConfig } from './config.ts';
import { createPubSubPublisher, startForwarder } from './forwarder/index.ts';
import { type RunningGateway, startGateway } from './gateway.ts';
import { HealthReporter } from './ops/health-report.ts';
import { openOutbox } from './outbox/index.ts';

/** How stale the health carried in batches may be. */
const HEALTH_REFRESH_MS = 5000;

export interface StartedProcess {
  readonly gateway: RunningGateway;
  readonly logger: pino.Logger;
  /** Runs the shutdown sequence once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
}

export async function startProcess(configPath: string, env: NodeJS.ProcessEnv): Promise<StartedProcess> {
  const config = loadGatewayConfig(configPath, env);
  const logger = pino({ level: config.logLevel, base: { gatewayId: config.gatewayId } });
  const clock = systemClock;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const outbox = await openOutbox(config.outbox, { clock, logger, registry });
  const publisher = createPubSubPublisher(config.forwarder, logger);
  // Bound late: the broker side that counts clients starts after the forwarder.
  let gateway: RunningGateway | undefined;
  const health = new HealthReporter({
    clock,
    registry,
    startedAtMs: clock.nowMs(),
    outbox: () => outbox.stats(),
    clientsConnected: () => gateway?.broker.aedes.connectedClients ?? 0,
    rulesVersion: () => null,
  });
  health.start(HEALTH_REFRESH_MS);
  const forwarder = startForwarder(config.forwarder, {
    outbox,
    publisher,
    gatewayId: config.gatewayId,
    clock,
    logger,
    registry,
    health: () => health.current(),
  });

  try {
    gateway = await startGateway(config, {
      outbox,
      clock,
      logger,
      registry,
    });
  } catch (err) {
    health.stop();
    await forwarder.stop();
    await outbox.close();
    throw err;
  }

  const running = gateway;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'gateway stopping');
      await running.stop();
      // The uplink may be down or misconfigured: what the forwarder could not send stays in
      // the outbox for the next start, so its failure must not skip the outbox flush.
      await forwarder.stop().catch((err: unknown) => logger.warn({ err }, 'forwarder stop failed'));
      health.stop();
      await outbox.close();
      await publisher.close?.().catch((err: unknown) => logger.warn({ err }, 'publisher close failed'));
      logger.info({ reason }, 'gateway stopped');
    })();
    return stopping;
  };

  logger.info(
    { mqtt: running.mqtt, mqtts: running.mqtts, http: running.http, outboxDir: config.outbox.dir },
    'gateway started',
  );
  return { gateway: running, logger, shutdown };
}

/** What the CLI runs: start, print the readiness line, exit 0 after a clean SIGTERM/SIGINT. */
export async function runGateway(configPath: string): Promise<void> {
  const started = await startProcess(configPath, process.env);
  const { mqtt, mqtts } = started.gateway;
  // TLS only: the TLS listener is the one to report.
  const [scheme, address] = mqtt ? ['mqtt', mqtt] : ['mqtts', mqtts as AddressInfo];
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`gateway ready ${scheme}://${host}:${address.port}\n`);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second signal means "now": the outbox is crash-safe, so this loses nothing acked.
      process.exit(1);
    }
    signalled = true;
    started.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`gateway shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  // The uplink SDK (google-gax) can reject promises nobody holds, e.g. when credentials are
  // missing. The uplink being broken must not take local ingest and alerting down: the
  // forwarder retries from the outbox, so log and keep running.
  process.on('unhandledRejection', (reason: unknown) => {
    started.logger.error({ err: reason }, 'unhandled rejection (kept running)');
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
