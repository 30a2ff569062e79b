/**
 * The broker's policy, as aedes hooks with safe defaults: every CONNECT is authenticated
 * (anonymous only behind the dev flag), every PUBLISH and SUBSCRIBE is checked against the
 * client's role (acl.ts), every refusal is counted and logged at a bounded rate, and every
 * client's deliveries are bounded (slow-clients.ts). Identity lives on the client object
 * under a symbol, set once at CONNECT.
 */
import type { Socket } from 'node:net';
import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import type { Ingest, PubackTarget } from '../ingest/ingest.ts';
import type { AuthRefusalReason, BrokerMetrics } from '../ops/metrics.ts';
import type { TokenBucket } from '../ops/rate-limit.ts';
import type { Authenticator, Identity } from '../registry/authenticator.ts';
import { canPublish, canSubscribe } from './acl.ts';
import { guardDelivery, type SlowClientOptions } from './slow-clients.ts';

const IDENTITY: unique symbol = Symbol('edgeflow.identity');
const ACKER: unique symbol = Symbol('edgeflow.acker');
type IdentifiedClient = Client & { [IDENTITY]?: Identity; [ACKER]?: ClientAcker };

/**
 * Writes the PUBACK of a QoS 1 reading once the outbox says it is durable. Used instead of
 * letting aedes write it because aedes reads a client's next packets only after every
 * packet of the current socket read is fully handled, PUBACK included: waiting there for
 * the fsync would stall each client for a disk flush per read (halving throughput, and
 * delaying the local alerts of readings queued behind). PUBACKs still go out in arrival
 * order [MQTT-4.6.0-2], since durability callbacks fire in append order.
 */
class ClientAcker implements PubackTarget {
  readonly #client: Client;
  #corked = false;
  /** The PUBACKs of one durable append go out as one write per client, not one each. */
  readonly #uncork = (): void => {
    this.#corked = false;
    (this.#client.conn as Socket).uncork();
  };

  constructor(client: Client) {
    this.#client = client;
  }

  puback(messageId: number): void {
    const conn = this.#client.conn as Socket;
    if (this.#client.closed || conn.destroyed) return;
    if (!this.#corked) {
      this.#corked = true;
      conn.cork();
      process.nextTick(this.#uncork);
    }
    // PUBACK: type 4, remaining length 2, packet identifier [MQTT-3.4].
    conn.write(Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]));
  }

  fail(err: Error): void {
    // No PUBACK: the device keeps the message and sends it again after reconnecting.
    if (!this.#client.conn.destroyed) this.#client.conn.destroy(err);
  }
}

export function identityOf(client: Client | null): Identity | undefined {
  return client ? (client as IdentifiedClient)[IDENTITY] : undefined;
}

export interface BrokerHookDeps {
  readonly authenticator: Authenticator;
  readonly ingest: Ingest;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
  readonly slowClient: SlowClientOptions;
  /** Bounds log lines about refusals (auth and ACL); counters see everything. */
  readonly refusalLog: TokenBucket;
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3].
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(reason: AuthRefusalReason): AuthenticateError {
  const err = new Error(`connection refused: ${reason}`) as AuthenticateError;
  (err as { returnCode: number }).returnCode =
    reason === 'overloaded'
      ? SERVER_UNAVAILABLE
      : reason === 'anonymous'
        ? NOT_AUTHORIZED
        : BAD_USERNAME_OR_PASSWORD;
  return err;
}

const PUBLISH_REFUSED = new EdgeError(EdgeErrorCodes.NOT_AUTHORIZED, 'publish not authorized');

function isSensorsTopic(topic: string): boolean {
  return topic.startsWith('sensors/');
}

/** A filter that can match sensors/...: live telemetry is delivered at QoS 0 (see below). */
function mayMatchSensors(filter: string): boolean {
  return (
    filter === '#' ||
    filter.startsWith('sensors/') ||
    filter === 'sensors' ||
    filter.startsWith('+/') ||
    filter === '+'
  );
}

interface IncomingStore {
  incomingGetPacket(client: Client, packet: PublishPacket): Promise<unknown>;
}

interface ParsedPacket {
  cmd: string;
  subscriptions?: Array<{ topic: string; qos: number }>;
}

/**
 * Rewrites SUBSCRIBE packets before aedes reads them so the SUBACK grants QoS 0 for filters
 * that can match sensors/... (aedes fixes the granted QoS before calling authorizeSubscribe,
 * so the downgrade there alone would deliver QoS 0 under a QoS 1 grant). Uses aedes'
 * per-client packet parser, present in aedes 1.x; without it the downgrade in
 * authorizeSubscribe still bounds delivery.
 */
function grantSensorsAtQoS0(client: Client): void {
  const parser = (
    client as unknown as { _parser?: { prependListener?: (e: string, l: (p: ParsedPacket) => void) => void } }
  )._parser;
  parser?.prependListener?.('packet', (packet) => {
    if (packet.cmd !== 'subscribe' || !packet.subscriptions) return;
    for (const sub of packet.subscriptions) if (sub.qos > 0 && mayMatchSensors(sub.topic)) sub.qos = 0;
  });
}

export function createBrokerHooks(
  deps: BrokerHookDeps,
): Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>> {
  const { authenticator, ingest, metrics, logger, refusalLog } = deps;
  const slowClientEvents = {
    onMessageDropped(): void {
      metrics.subscriberMessagesDropped.inc();
    },
    onClientDropped(client: Client, queued: number, bufferedBytes: number): void {
      metrics.slowClientDrops.inc();
      logger.warn(
        {
          clientId: client.id,
          user: identityOf(client)?.id,
          queued,
          bufferedBytes,
          code: EdgeErrorCodes.SLOW_CLIENT,
        },
        'slow subscriber dropped: socket undrained past timeout',
      );
    },
  };

  const logRefusal = (fields: Record<string, unknown>, msg: string): void => {
    const suppressed = refusalLog.take();
    if (suppressed >= 0) logger.warn({ ...fields, suppressed }, msg);
  };

  return {
    preConnect(client, _packet, callback) {
      // Before CONNECT is processed, hence before any SUBSCRIBE captures the deliver functions.
      guardDelivery(client, deps.slowClient, slowClientEvents);
      grantSensorsAtQoS0(client);
      (client as IdentifiedClient)[ACKER] = new ClientAcker(client);
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      authenticator.authenticate(username, password, (client.conn as Socket).remoteAddress).then(
        (result) => {
          if (typeof result === 'string') {
            metrics.authRefusals.labels(result).inc();
            logRefusal(
              { reason: result, user: username?.slice(0, 64), clientId: client.id },
              'connection refused',
            );
            callback(authError(result), false);
            return;
          }
          (client as IdentifiedClient)[IDENTITY] = result;
          callback(null, true);
        },
        (err: unknown) => {
          logger.error({ err, user: username?.slice(0, 64) }, 'authentication failed unexpectedly');
          callback(authError('overloaded'), false);
        },
      );
    },

    authorizePublish(client, packet: PublishPacket, callback) {
      const identity = identityOf(client);
      if (identity === undefined || !canPublish(identity, packet.topic)) {
        metrics.aclRefusals.labels('publish').inc();
        logRefusal(
          { action: 'publish', topic: packet.topic.slice(0, 200), user: identity?.id, clientId: client?.id },
          'publish refused',
        );
        // aedes closes the connection: 3.1.1 has no way to refuse a single PUBLISH.
        callback(PUBLISH_REFUSED);
        return;
      }
      if (isSensorsTopic(packet.topic)) {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const clientId = (client as Client).id;
        if (packet.qos === 2 && packet.dup) {
          // A QoS 2 retransmission whose original aedes already stored (it stores a QoS 2
          // PUBLISH only after this hook, i.e. after the append was durable) must not be
          // appended twice [MQTT-4.3.3-2]; aedes answers it with a PUBREC.
          const persistence = (client as unknown as { broker: { persistence: IncomingStore } }).broker
            .persistence;
          persistence.incomingGetPacket(client as Client, packet).then(
            () => callback(null),
            () => ingest.onPublish(packet.topic, payload, packet.qos, clientId, callback),
          );
          return;
        }
        const acker = (client as IdentifiedClient)[ACKER];
        if (packet.qos === 1 && packet.messageId !== undefined && acker !== undefined) {
          const messageId = packet.messageId;
          // aedes treats it as QoS 0 from here (no PUBACK of its own, subscribers of
          // sensors/... get QoS 0 anyway); the PUBACK is ours, once durable.
          packet.qos = 0;
          ingest.onPublishQoS1(packet.topic, payload, clientId, acker, messageId);
          callback(null);
          return;
        }
        ingest.onPublish(packet.topic, payload, packet.qos, clientId, callback);
        return;
      }
      callback(null);
    },

    authorizeSubscribe(client, sub: Subscription, callback) {
      const identity = identityOf(client);
      if (identity === undefined || !canSubscribe(identity, sub.topic)) {
        metrics.aclRefusals.labels('subscribe').inc();
        logRefusal(
          { action: 'subscribe', topic: sub.topic.slice(0, 200), user: identity?.id, clientId: client.id },
          'subscribe refused',
        );
        // SUBACK 0x80 for this filter; the connection stays up [MQTT-3.9.3].
        callback(null, null);
        return;
      }
      // Live telemetry is granted QoS 0: a QoS 1 copy per reading would sit in aedes'
      // unbounded per-session store for a persistent subscriber that is offline or slow.
      // The durable path for readings is the outbox, not local subscriptions.
      if (sub.qos > 0 && mayMatchSensors(sub.topic)) {
        callback(null, { ...sub, qos: 0 });
        return;
      }
      callback(null, sub);
    },
  };
}
