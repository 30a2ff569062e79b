/**
 * The aedes instance and its listeners: MQTT over TCP (unless turned off), and over TLS when
 * a cert and key are configured. Per-client errors become log lines (aedes emits them as
 * events), never crashes; so do errors of the broker instance itself. Limits (limits/):
 * packet size before and after CONNECT, connect and TLS handshake timeouts, connections per
 * listener, subscriptions per client; each one counted when hit. `close()` stops accepting
 * first, then disconnects clients and closes aedes.
 */
import { type EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes, type AedesOptions, type PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Logger } from 'pino';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import type { BrokerMetrics } from '../ops/metrics.ts';
import { createPacketGuard, isConnectTimeout, MQTT_MAX_PACKET_BYTES } from './limits/packet-guard.ts';
import { SubscriptionCap } from './limits/subscriptions.ts';

// On its first write mqtt-packet pre-builds one Buffer per packet id (65,536 of them, ~7 MB
// of heap that never goes away). The gateway writes the PUBACKs of readings itself
// (broker/hooks.ts), so the few packets aedes writes can allocate their two bytes.
mqttPacket.writeToStream.cacheNumbers = false;

export interface BrokerLimits {
  /** Largest packet (remaining length) until CONNECT has completed. */
  readonly maxConnectPacketBytes: number;
  /** Largest packet afterwards. Both at MQTT_MAX_PACKET_BYTES: no packet guard at all. */
  readonly maxPacketBytes: number;
  /** From accepting the socket (after the TLS handshake) to the CONNECT packet. */
  readonly connectTimeoutMs: number;
  /** Per listener; beyond it Node closes new sockets at once. */
  readonly maxConnections: number;
  readonly maxSubscriptionsPerClient: number;
  readonly tlsHandshakeTimeoutMs: number;
}

export interface BrokerListenConfig {
  readonly host: string;
  /** Plaintext MQTT; undefined: TLS only. */
  readonly port: number | undefined;
  readonly tls?: { readonly port: number; readonly certFile: string; readonly keyFile: string } | undefined;
  /** aedes' own drain timeout, a backstop behind the slow-client guard. */
  readonly drainTimeoutMs: number;
  readonly limits: BrokerLimits;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  /** Undefined when the plaintext listener is off. */
  readonly tcp: AddressInfo | undefined;
  readonly tls: AddressInfo | undefined;
  /** Publishes from the gateway itself (bypasses authorizePublish). */
  publish(packet: Omit<PublishPacket, 'cmd' | 'dup'>, done: (err?: Error) => void): void;
  /** Stops accepting connections (first step of shutdown). */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new EdgeError(EdgeErrorCodes.FILE_UNREADABLE, `cannot read TLS ${what} ${path}`, { cause: err });
  }
}

export async function startBroker(
  config: BrokerListenConfig,
  hooks: AedesOptions,
  logger: Logger,
  metrics: BrokerMetrics,
): Promise<RunningBroker> {
  const { limits } = config;
  const tlsOptions = config.tls
    ? { cert: readPem(config.tls.certFile, 'certificate'), key: readPem(config.tls.keyFile, 'key') }
    : undefined;
  const guard =
    limits.maxConnectPacketBytes < MQTT_MAX_PACKET_BYTES || limits.maxPacketBytes < MQTT_MAX_PACKET_BYTES
      ? createPacketGuard(limits, {
          onOversize(client, declaredBytes, connected) {
            metrics.limitHits[connected ? 'packet_size' : 'packet_size_pre_connect'].inc();
            logger.debug(
              { clientId: client.id, declaredBytes, connected, code: EdgeErrorCodes.PACKET_TOO_LARGE },
              'packet over the size limit: disconnecting',
            );
          },
        })
      : undefined;
  const subscriptionCap = new SubscriptionCap(limits.maxSubscriptionsPerClient, {
    onRefused(client, filter, held) {
      metrics.limitHits.subscriptions.inc();
      logger.debug(
        {
          clientId: client.id,
          filter: filter.slice(0, 200),
          held,
          code: EdgeErrorCodes.TOO_MANY_SUBSCRIPTIONS,
        },
        'subscription refused: per-client cap reached',
      );
    },
  });
  const aedes = await Aedes.createBroker({
    ...hooks,
    authorizeSubscribe: subscriptionCap.wrap(hooks.authorizeSubscribe),
    drainTimeout: config.drainTimeoutMs,
    connectTimeout: limits.connectTimeoutMs,
    // Heartbeats only matter for clustered brokers; keep the $SYS chatter rare.
    heartbeatInterval: 60_000,
  });
  subscriptionCap.listen(aedes);
  aedes.on('clientError', (client, err) =>
    logger.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  aedes.on('connectionError', (_client, err) => {
    if (isConnectTimeout(err)) metrics.limitHits.connect_timeout.inc();
    logger.debug({ err: err.message }, 'connection error');
  });
  // Without a listener an 'error' of the instance (e.g. from persistence) would be thrown.
  (aedes as EventEmitter).on('error', (err: Error) => {
    metrics.brokerErrors.inc();
    logger.error({ err, code: EdgeErrorCodes.BROKER_ERROR }, 'mqtt broker error');
  });
  const onConnection = guard
    ? (conn: Socket): void => guard.install(aedes.handle(conn))
    : (conn: Socket): void => {
        aedes.handle(conn);
      };

  const servers: Array<Server | TlsServer> = [];
  const listen = async (server: Server | TlsServer, port: number): Promise<AddressInfo> => {
    server.on('error', (err) => logger.error({ err }, 'mqtt listener error'));
    server.maxConnections = limits.maxConnections;
    server.on('drop', () => metrics.limitHits.max_connections.inc());
    servers.push(server);
    server.listen(port, config.host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => {
        throw err;
      }),
    ]);
    return server.address() as AddressInfo;
  };

  // TCP_NODELAY: without it a small write (a local alert to a panel, a PUBACK) waits behind
  // the previous unacknowledged one until the peer's delayed ACK, ~40 ms on Linux. Writes are
  // already batched where it pays (PUBACKs are corked per tick; mqtt-packet corks too).
  const socketOptions = { noDelay: true };
  try {
    const tcp =
      config.port === undefined
        ? undefined
        : await listen(createServer(socketOptions, onConnection), config.port);
    let tls: AddressInfo | undefined;
    if (config.tls && tlsOptions) {
      const tlsServer = createTlsServer(
        { ...socketOptions, ...tlsOptions, handshakeTimeout: limits.tlsHandshakeTimeoutMs },
        onConnection,
      );
      // A failed handshake is a client problem: count and log it, never an error.
      tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
        // With a listener here Node leaves the socket open (a handshake timeout included).
        socket.destroy();
        metrics.tlsHandshakeFailures.inc();
        if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') metrics.limitHits.tls_handshake_timeout.inc();
        logger.debug({ err: err.message }, 'tls handshake failed');
      });
      tls = await listen(tlsServer, config.tls.port);
    }
    let accepting = true;
    const stopAccepting = async (): Promise<void> => {
      if (!accepting) return;
      accepting = false;
      // server.close() stops accepting now; its callback waits for existing sockets, which
      // aedes.close() ends, so do not await it here.
      for (const server of servers) server.close();
    };
    return {
      aedes,
      tcp,
      tls,
      publish(packet, done) {
        aedes.publish({ cmd: 'publish', dup: false, ...packet } as PublishPacket, done);
      },
      stopAccepting,
      async close() {
        await stopAccepting();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
      },
    };
  } catch (err) {
    for (const server of servers) server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
}
