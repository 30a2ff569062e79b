/**
 * The harness every cloud / e2e test file uses: one local cloud (both emulators, the
 * topology, every function under functions-framework) per test file, started in beforeAll
 * and torn down in afterAll.
 *
 *   const local = useLocalCloud({ env: { EDGEFLOW_TEST_MODE: '1' } });
 *   beforeEach(() => local.cloud.clearFirestore());
 *   it('...', async () => { await local.pubsub.topic(...).publishMessage(...); ... });
 *
 * Function logs are kept (last lines) in `local.functionLogs`, and printed when a test
 * fails, so a failing assertion comes with what the functions said.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import { firestoreFor, pubsubFor } from '../../src/local/clients.ts';
import type { ServedFunction } from '../../src/local/functions.ts';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../src/local/index.ts';
import { createLogger } from '../../src/logging.ts';

export interface FunctionLogLine {
  readonly fn: ServedFunction;
  readonly line: string;
  /** The parsed JSON log line, when it was JSON. */
  readonly json: Record<string, unknown> | undefined;
}

export interface LocalCloudFixture {
  readonly cloud: LocalCloud;
  /** Clients pointed at this cloud's emulators; closed in afterAll. */
  readonly firestore: Firestore;
  readonly pubsub: PubSub;
  /** The last MAX_LOG_LINES lines the functions printed, oldest first. */
  readonly functionLogs: readonly FunctionLogLine[];
}

const MAX_LOG_LINES = 5000;
let fixtures = 0;

/** True when the environment names running emulators that other test files share. */
function sharedEmulators(): boolean {
  return Boolean(process.env.PUBSUB_EMULATOR_HOST || process.env.FIRESTORE_EMULATOR_HOST);
}

/**
 * On shared emulators (CI starting them once), each test file gets its own project: both
 * emulators keep projects apart, so files cannot re-point each other's push subscriptions or
 * wipe each other's documents.
 */
function uniqueProjectId(): string {
  fixtures += 1;
  return `demo-ef-${process.pid}-${fixtures}`;
}
/** Two JVMs and three Node servers on a shared 2-core box: allow for a slow start. */
const START_TIMEOUT_MS = 180_000;

export function useLocalCloud(options: Omit<LocalCloudOptions, 'onFunctionOutput'> = {}): LocalCloudFixture {
  let cloud: LocalCloud | undefined;
  let firestore: Firestore | undefined;
  let pubsub: PubSub | undefined;
  const logs: FunctionLogLine[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud({
      logger: createLogger('local', { level: process.env.EDGEFLOW_LOG_LEVEL ?? 'warn' }),
      ...(sharedEmulators() ? { projectId: uniqueProjectId() } : {}),
      ...options,
      onFunctionOutput: (fn, line) => {
        let json: Record<string, unknown> | undefined;
        if (line.startsWith('{')) {
          try {
            json = JSON.parse(line) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
        }
        logs.push({ fn, line, json });
        if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
      },
    });
    firestore = firestoreFor(cloud);
    pubsub = pubsubFor(cloud);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([firestore?.terminate(), pubsub?.close()]);
    await cloud?.stop();
  }, 60_000);

  const need = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`${name} is used outside a test (the local cloud starts in beforeAll)`);
    return value;
  };

  const fixture: LocalCloudFixture = {
    get cloud() {
      return need(cloud, 'local.cloud');
    },
    get firestore() {
      return need(firestore, 'local.firestore');
    },
    get pubsub() {
      return need(pubsub, 'local.pubsub');
    },
    functionLogs: logs,
  };
  return fixture;
}

/** Call inside a test to print the functions' recent logs if that test fails. */
export function dumpFunctionLogsOnFailure(local: LocalCloudFixture, lastLines = 200): void {
  onTestFailed(() => {
    const tail = local.functionLogs.slice(-lastLines).map((l) => `[${l.fn}] ${l.line}`);
    console.error(`--- last ${tail.length} function log lines ---\n${tail.join('\n')}`);
  });
}
