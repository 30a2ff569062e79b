/**
 * The broker's policy, as aedes hooks with safe defaults: every CONNECT is authenticated
 * (anonymous only behind the dev flag) and its client id bound to the identity, every
 * PUBLISH and SUBSCRIBE is checked against the client's role (acl.ts), every delivery is
 * checked again against the receiver's rights (authorizeForward), every refusal is counted
 * and logged at a bounded rate, and every client's deliveries are bounded (slow-clients.ts).
 * Identity lives on the client object under a symbol, set once at CONNECT.
 *
 * The client id check runs in authenticate, after the credential check: aedes wipes a
 * clean session (fetchSubs) and kicks the client holding the same id (registerClient)
 * only after authenticate succeeded (lib/handlers/connect.js), so a refused CONNECT can
 * touch no other identity's session. Client PUBLISHes are never retained (only the gateway
 * retains, on alerts/), and a reading ingest refuses is acknowledged but delivered to nobody.
 */
import type { Socket } from 'node:net';
import type { Clock } from '@edgeflow/shared';
import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import type { Ingest, PubackTarget } from '../ingest/ingest.ts';
import type { AuthRefusalReason, BrokerMetrics } from '../ops/metrics.ts';
import type { TokenBucket } from '../ops/rate-limit.ts';
import type { Authenticator, Identity } from '../registry/authenticator.ts';
import { type ClientIdPolicy, canPublish, canReceive, canSubscribe, clientIdAllowed } from './acl.ts';
import {
  handleAsQoS0,
  incomingStoreOf,
  isUndeliverable,
  markUndeliverable,
  rewriteSubscriptions,
  stripRetain,
} from './aedes-adapter.ts';
import type { SessionTable } from './sessions.ts';
import { guardDelivery, type SlowClientOptions } from './slow-clients.ts';

const IDENTITY: unique symbol = Symbol('edgeflow.identity');
const ACKER: unique symbol = Symbol('edgeflow.acker');
/** The CONNECT carried no client id (aedes made one up): a clean session nobody else holds. */
const ASSIGNED_ID: unique symbol = Symbol('edgeflow.assignedClientId');
type IdentifiedClient = Client & { [IDENTITY]?: Identity; [ACKER]?: ClientAcker; [ASSIGNED_ID]?: boolean };

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
  readonly clientIdPolicy: ClientIdPolicy;
  readonly sessions: SessionTable;
  readonly clock: Clock;
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3].
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(reason: AuthRefusalReason): AuthenticateError {
  const err = new Error(`connection refused: ${reason}`) as AuthenticateError;
  (err as { returnCode: number }).returnCode = RETURN_CODES[reason];
  return err;
}

const RETURN_CODES: Readonly<Record<AuthRefusalReason, number>> = {
  anonymous: NOT_AUTHORIZED,
  unknown_user: BAD_USERNAME_OR_PASSWORD,
  bad_password: BAD_USERNAME_OR_PASSWORD,
  overloaded: SERVER_UNAVAILABLE,
  client_id_mismatch: IDENTIFIER_REJECTED,
  too_many_sessions: SERVER_UNAVAILABLE,
  // Held by the login throttle: answered like a wrong password, so it tells a guesser nothing.
  throttled: BAD_USERNAME_OR_PASSWORD,
  banned: BAD_USERNAME_OR_PASSWORD,
};

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

/**
 * The SUBACK grants QoS 0 for filters that can match sensors/... (aedes fixes the granted
 * QoS before calling authorizeSubscribe, so the downgrade there alone would deliver QoS 0
 * under a QoS 1 grant); without the rewrite the downgrade in authorizeSubscribe still
 * bounds delivery.
 */
function grantSensorsAtQoS0(sub: { topic: string; qos: number }): void {
  if (sub.qos > 0 && mayMatchSensors(sub.topic)) sub.qos = 0;
}

type BrokerHooks = Required<
  Pick<
    AedesOptions,
    'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'
  >
>;

export function createBrokerHooks(deps: BrokerHookDeps): BrokerHooks {
  const { authenticator, ingest, metrics, logger, refusalLog, sessions, clock } = deps;
  const forwardRefused = metrics.session.forwardRefused;
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

  /** The session check of a CONNECT whose credentials are good; a reason when refused. */
  const admit = (client: IdentifiedClient, identity: Identity): AuthRefusalReason | undefined => {
    // No client id: aedes assigned a fresh one, which can name no existing session; MQTT
    // allows that only with a clean session [MQTT-3.1.3-8].
    const assigned = client[ASSIGNED_ID] === true && client.clean;
    if (!assigned && !clientIdAllowed(identity, client.id, deps.clientIdPolicy)) return 'client_id_mismatch';
    // Gone while its password was checked: aedes drops it, and its 'close' has been emitted.
    if (client.closed || client.conn.destroyed) return undefined;
    if (!sessions.admit(identity.id, identity.role !== 'anonymous', client.id, client)) {
      return 'too_many_sessions';
    }
    const clientId = client.id;
    client.conn.once('close', () =>
      sessions.released(identity.id, clientId, client, !client.clean, clock.nowMs()),
    );
    return undefined;
  };

  return {
    preConnect(client, packet, callback) {
      // Before CONNECT is processed, hence before any SUBSCRIBE captures the deliver functions.
      guardDelivery(client, deps.slowClient, slowClientEvents);
      rewriteSubscriptions(client, grantSensorsAtQoS0);
      (client as IdentifiedClient)[ACKER] = new ClientAcker(client);
      (client as IdentifiedClient)[ASSIGNED_ID] = !packet.clientId;
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      authenticator.authenticate(username, password, (client.conn as Socket).remoteAddress).then(
        (result) => {
          const refusal = typeof result === 'string' ? result : admit(client as IdentifiedClient, result);
          if (refusal !== undefined) {
            metrics.authRefusals.labels(refusal).inc();
            logRefusal(
              { reason: refusal, user: username?.slice(0, 64), clientId: client.id?.slice(0, 128) },
              'connection refused',
            );
            callback(authError(refusal), false);
            return;
          }
          (client as IdentifiedClient)[IDENTITY] = result as Identity;
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
      if (stripRetain(packet)) metrics.session.retainStripped.inc();
      if (isSensorsTopic(packet.topic)) {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const clientId = (client as Client).id;
        if (packet.qos === 2 && packet.dup) {
          // A QoS 2 retransmission whose original aedes already stored (it stores a QoS 2
          // PUBLISH only after this hook, i.e. after the append was durable) must not be
          // appended twice [MQTT-4.3.3-2]; aedes answers it with a PUBREC.
          incomingStoreOf(client as Client)
            .incomingGetPacket(client as Client, packet)
            .then(
              () => callback(null),
              () => {
                if (!ingest.onPublish(packet.topic, payload, packet.qos, clientId, callback)) {
                  markUndeliverable(packet);
                  callback(null);
                }
              },
            );
          return;
        }
        const acker = (client as IdentifiedClient)[ACKER];
        if (packet.qos === 1 && packet.messageId !== undefined && acker !== undefined) {
          const messageId = packet.messageId;
          // aedes treats it as QoS 0 from here (no PUBACK of its own, subscribers of
          // sensors/... get QoS 0 anyway); the PUBACK is ours, once durable.
          handleAsQoS0(packet);
          if (!ingest.onPublishQoS1(packet.topic, payload, clientId, acker, messageId, packet.dup)) {
            markUndeliverable(packet);
          }
          callback(null);
          return;
        }
        if (!ingest.onPublish(packet.topic, payload, packet.qos, clientId, callback)) {
          // Refused input is acknowledged (see ingest.ts) but reaches no subscriber.
          markUndeliverable(packet);
          callback(null);
        }
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

    // Every delivery: live, retained on SUBSCRIBE, and queued for a persistent session. The
    // SUBSCRIBE check alone would let a session's queue reach whoever connects with its id.
    authorizeForward(client, packet) {
      const identity = identityOf(client);
      if (identity === undefined) {
        forwardRefused.no_identity.inc();
        return null;
      }
      if (identity.role !== 'device') {
        // Operators (and dev-flag anonymous clients) read anything but refused readings.
        if (isSensorsTopic(packet.topic) && isUndeliverable(packet)) {
          forwardRefused.rejected_input.inc();
          return null;
        }
        return packet;
      }
      if (!canReceive(identity, packet.topic)) {
        forwardRefused.acl.inc();
        return null;
      }
      return packet;
    },
  };
}
