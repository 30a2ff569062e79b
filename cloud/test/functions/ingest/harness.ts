/**
 * Integration harness: Google's Pub/Sub and Firestore emulators, the topology applied with
 * push subscriptions to ingest and notify served in this process by the real
 * functions-framework (its test server, on 127.0.0.1:0), and a local webhook sink. One per
 * test file. Set extra environment (test-mode switches) before calling startHarness.
 *
 * Each gateway publishes on its own telemetry topic, created on its first publish:
 * `publish` sends a batch as the gateway it names (an honest gateway), `publishOn` on the
 * topic of the gateway given (what a gateway holding that topic's key can send).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AlertEvent,
  encodeBatch,
  isGatewayId,
  peekBatchHeader,
  type Reading,
  type Topology,
  telemetryTopicName,
  topologyFor,
} from '@edgeflow/shared';
import { Firestore } from '@google-cloud/firestore';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import {
  type EmulatorHandle,
  startFirestoreEmulator,
  startPubSubEmulator,
} from '../../../src/local/index.ts';
import { applyTopology } from '../../../src/local/topology.ts';
import { waitFor as pollUntil } from '../../support/wait.ts';

export const PROJECT_ID = 'demo-edgeflow-test';

export interface SinkRequest {
  readonly idempotencyKey: string | undefined;
  readonly body: { alert?: AlertEvent; type?: string; text?: string };
}

export interface Harness {
  readonly db: Firestore;
  readonly pubsub: PubSub;
  readonly sink: SinkRequest[];
  readonly sinkUrl: string;
  readonly pushes: { ingest: number; notify: number };
  readonly firestoreHost: string;
  /** Base URL of the ingest function's server (for pushes that bypass Pub/Sub). */
  readonly ingestUrl: string;
  /** Publishes on the telemetry topic of the gateway the batch names (HARNESS_GATEWAY when it names none). */
  publish(data: Buffer, attributes?: Record<string, string>): Promise<string>;
  /** Publishes on `gatewayId`'s telemetry topic, whatever the batch says. */
  publishOn(gatewayId: string, data: Buffer, attributes?: Record<string, string>): Promise<string>;
  /** Creates the gateway's telemetry topic and push subscription (publishing does it too). */
  addGateway(gatewayId: string): Promise<void>;
  stop(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface HarnessOptions {
  /**
   * Firestore host the functions should use (e.g. a proxy in front of the emulator); it
   * receives the emulator's host. Default: the emulator itself.
   */
  readonly functionFirestoreHost?: (emulatorHost: string) => Promise<string>;
  /** Builds the topology for the gateways seen so far; default `topologyFor`. */
  readonly topology?: (gatewayIds: readonly string[]) => Topology;
}

/** Where `publish` sends bytes that name no gateway (garbage, empty messages). */
export const HARNESS_GATEWAY = 'gw-harness';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  delete env.FIRESTORE_EMULATOR_HOST;
  const emulators: EmulatorHandle[] = [];
  const servers: Server[] = [];
  try {
    const [ps, fs] = await Promise.all([
      startPubSubEmulator({ env, projectId: PROJECT_ID }),
      startFirestoreEmulator({ env, projectId: PROJECT_ID }),
    ]);
    emulators.push(ps, fs);
    // The test's own clients talk to the emulators directly; the SDKs read these at construction.
    process.env.PUBSUB_EMULATOR_HOST = ps.host;
    process.env.FIRESTORE_EMULATOR_HOST = fs.host;
    process.env.GOOGLE_CLOUD_PROJECT = PROJECT_ID;
    process.env.EDGEFLOW_LOG_LEVEL ??= 'warn';
    const db = new Firestore({ projectId: PROJECT_ID });
    const pubsub = new PubSub({ projectId: PROJECT_ID });
    // The functions build their clients lazily, on their first event, from this environment.
    if (options.functionFirestoreHost)
      process.env.FIRESTORE_EMULATOR_HOST = await options.functionFirestoreHost(fs.host);

    await import('../../../src/functions/ingest/index.ts');
    await import('../../../src/functions/notify/index.ts');
    const pushes = { ingest: 0, notify: 0 };
    const ingest = getTestServer('ingest');
    const notify = getTestServer('notify');
    ingest.on('request', () => void pushes.ingest++);
    notify.on('request', () => void pushes.notify++);
    const sink: SinkRequest[] = [];
    const sinkServer = createServer(async (req, res) => {
      const text = await body(req);
      sink.push({
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(text),
      });
      res.writeHead(204).end();
    });
    servers.push(ingest, notify, sinkServer);
    const [ingestUrl, notifyUrl, sinkUrl] = await Promise.all([
      listen(ingest),
      listen(notify),
      listen(sinkServer),
    ]);
    const build = options.topology ?? topologyFor;
    const gateways: string[] = [];
    const apply = (topology: Topology) =>
      applyTopology({
        pubsubHost: ps.host,
        projectId: PROJECT_ID,
        topology,
        functionUrls: { ingest: ingestUrl, notify: notifyUrl },
        logger: pino({ level: 'silent' }),
      });
    await apply(build([]));
    const addGateway = async (gatewayId: string): Promise<void> => {
      if (gateways.includes(gatewayId)) return;
      const next = build([...gateways, gatewayId]);
      const route = next.telemetry.find((t) => t.gatewayId === gatewayId);
      if (!route) throw new Error(`the topology has no route for ${gatewayId}`);
      const subscriptions = next.subscriptions.filter((s) => s.topic === route.topic.name);
      await apply({ ...next, telemetry: [route], subscriptions });
      gateways.push(gatewayId);
    };
    const publishOn = async (gatewayId: string, data: Buffer, attributes: Record<string, string> = {}) => {
      await addGateway(gatewayId);
      return pubsub.topic(telemetryTopicName(gatewayId)).publishMessage({ data, attributes });
    };
    return {
      db,
      pubsub,
      sink,
      sinkUrl: `${sinkUrl}/hook`,
      pushes,
      firestoreHost: fs.host,
      ingestUrl,
      publish: (data, attributes) => publishOn(namedGateway(data), data, attributes),
      publishOn,
      addGateway,
      async stop() {
        // The emulator keeps its push connections alive: close them, or close() waits them out.
        await Promise.allSettled(
          servers.map(
            (s) =>
              new Promise((r) => {
                s.close(r);
                s.closeAllConnections();
              }),
          ),
        );
        await Promise.allSettled([db.terminate(), pubsub.close()]);
        await Promise.allSettled(emulators.map((e) => e.stop()));
      },
    };
  } catch (err) {
    await Promise.allSettled(servers.map((s) => new Promise((r) => s.close(r))));
    await Promise.allSettled(emulators.map((e) => e.stop()));
    throw err;
  }
}

function namedGateway(data: Buffer): string {
  try {
    const { gatewayId } = peekBatchHeader(new Uint8Array(data));
    return isGatewayId(gatewayId) ? gatewayId : HARNESS_GATEWAY;
  } catch {
    return HARNESS_GATEWAY;
  }
}

/** The support module's bounded poll, with this harness's (what, probe, timeout) argument order. */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  return pollUntil<T>(probe, { what, timeoutMs });
}

export const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

/** `count` one-second readings of one series starting at `startSeq` (ts = T0 + seq s). */
export function series(
  deviceId: string,
  metric: string,
  startSeq: number,
  count: number,
  value: number,
): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId,
    metric,
    tsMs: T0 + (startSeq + i) * 1000,
    value,
    seq: startSeq + i,
  }));
}

export function batchBytes(gatewayId: string, readings: Reading[], alerts: AlertEvent[] = []): Buffer {
  return Buffer.from(encodeBatch({ gatewayId, createdAtMs: T0, readings, alerts }));
}

/** Total readings stored for a series, counting duplicates across columns (there must be none). */
export async function storedSeqs(db: Firestore, deviceId: string, metric: string): Promise<number[]> {
  const snap = await db
    .collection('readings')
    .where('deviceId', '==', deviceId)
    .where('metric', '==', metric)
    .get();
  const seqs: number[] = [];
  for (const doc of snap.docs) {
    const cols = (doc.get('cols') ?? {}) as Record<string, { seq: number[] }>;
    for (const c of Object.values(cols)) seqs.push(...c.seq);
  }
  return seqs.sort((a, b) => a - b);
}

/** Settles: waits until the push counters have not moved for `quietMs`. */
export async function settle(h: Harness, quietMs = 1500, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = h.pushes.ingest + h.pushes.notify;
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pushes did not settle');
}
