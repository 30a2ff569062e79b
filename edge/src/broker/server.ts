/**
 * The aedes instance and its listeners: MQTT over TCP, and over TLS when a cert and key are
 * configured. Per-client errors become log lines (aedes emits them as events), never
 * crashes. `close()` stops accepting first, then disconnects clients and closes aedes.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes, type AedesOptions, type PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Logger } from 'pino';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';

// On its first write mqtt-packet pre-builds one Buffer per packet id (65,536 of them, ~7 MB
// of heap that never goes away). The gateway writes the PUBACKs of readings itself
// (broker/hooks.ts), so the few packets aedes writes can allocate their two bytes.
mqttPacket.writeToStream.cacheNumbers = false;

export interface BrokerListenConfig {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly port: number; readonly certFile: string; readonly keyFile: string } | undefined;
  /** aedes' own drain timeout, a backstop behind the slow-client guard. */
  readonly drainTimeoutMs: number;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly tcp: AddressInfo;
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
): Promise<RunningBroker> {
  const tlsOptions = config.tls
    ? { cert: readPem(config.tls.certFile, 'certificate'), key: readPem(config.tls.keyFile, 'key') }
    : undefined;
  const aedes = await Aedes.createBroker({
    ...hooks,
    drainTimeout: config.drainTimeoutMs,
    // Heartbeats only matter for clustered brokers; keep the $SYS chatter rare.
    heartbeatInterval: 60_000,
  });
  aedes.on('clientError', (client, err) =>
    logger.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  aedes.on('connectionError', (_client, err) => logger.debug({ err: err.message }, 'connection error'));

  const servers: Array<Server | TlsServer> = [];
  const listen = async (server: Server | TlsServer, port: number): Promise<AddressInfo> => {
    server.on('error', (err) => logger.error({ err }, 'mqtt listener error'));
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
    const tcp = await listen(createServer(socketOptions, aedes.handle), config.port);
    let tls: AddressInfo | undefined;
    if (config.tls && tlsOptions) {
      const tlsServer = createTlsServer({ ...socketOptions, ...tlsOptions }, aedes.handle);
      // A failed handshake is a client problem: log it, do not let it surface as an error.
      tlsServer.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'tls handshake failed'));
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
