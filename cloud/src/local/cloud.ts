/**
 * The local cloud: both emulators, the shared topology applied to them, and every function
 * served by functions-framework behind its push subscription. Used by `npm run local -- up`,
 * by `npm start`, and by every cloud / e2e test (started once per test file).
 */
import { TOPOLOGY, type Topology } from '@edgeflow/shared';
import type { Logger } from 'pino';
import { createLogger } from '../logging.ts';
import {
  DEFAULT_PROJECT_ID,
  type EmulatorHandle,
  startFirestoreEmulator,
  startPubSubEmulator,
} from './emulators.ts';
import { type FunctionServer, type ServedFunction, startFunction } from './functions.ts';
import { applyTopology } from './topology.ts';

export const FUNCTION_NAMES: readonly ServedFunction[] = ['ingest', 'notify', 'triage', 'api'];

export interface LocalCloudOptions {
  /** Default `demo-edgeflow`. */
  readonly projectId?: string;
  /** Extra environment for the functions (e.g. `EDGEFLOW_TEST_MODE=1`), over the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly pubsubPort?: number;
  readonly firestorePort?: number;
  /** Functions to serve; default all four. Unserved functions' subscriptions are created as pull. */
  readonly functions?: readonly ServedFunction[];
  /** Test-only: a module registering the named function instead of `cloud/src/index.ts`. */
  readonly functionSources?: Partial<Record<ServedFunction, string>>;
  /** Each line a function prints (its JSON logs); default: logged at debug. */
  readonly onFunctionOutput?: (fn: ServedFunction, line: string) => void;
  readonly topology?: Topology;
  /** Where PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST / PATH are looked up; default process.env. */
  readonly hostEnv?: NodeJS.ProcessEnv;
}

export interface LocalCloud {
  readonly projectId: string;
  readonly pubsubHost: string;
  readonly firestoreHost: string;
  /** Base URL of each served function, `http://127.0.0.1:<port>`; `api` also serves the console at `/`. */
  readonly functionUrls: Record<ServedFunction, string>;
  /**
   * What a client of this cloud needs (gateway, tests, CLIs): emulator hosts, project, topic
   * names. The functions run with this plus the pass-through `EDGEFLOW_*` settings.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly topology: Topology;
  /** Process group id of a function's server, e.g. for a kill -9 fault test. */
  functionPgid(fn: ServedFunction): number;
  /** Restarts one function (new process, new port, push endpoint re-pointed), optionally with extra env. */
  restartFunction(fn: ServedFunction, env?: Readonly<Record<string, string>>): Promise<void>;
  /** Deletes every Firestore document of the project (between tests). */
  clearFirestore(): Promise<void>;
  stop(): Promise<void>;
}

/** Variables a function process inherits from ours, besides `EDGEFLOW_*`. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'NODE_EXTRA_CA_CERTS'];

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const startedAt = performance.now();
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const topology = options.topology ?? TOPOLOGY;
  const logger = options.logger ?? createLogger('local');
  const hostEnv = options.hostEnv ?? process.env;
  const served = options.functions ?? FUNCTION_NAMES;

  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(stoppers.splice(0).map((s) => s()));
  };
  try {
    // allSettled, not all: when one start fails, the other must still be tracked to be stopped.
    const [pubsub, firestore] = await settleAll([
      startPubSubEmulator({ port: options.pubsubPort, projectId, logger, env: hostEnv }).then(track),
      startFirestoreEmulator({ port: options.firestorePort, projectId, logger, env: hostEnv }).then(track),
    ]);
    const clientEnv: Record<string, string> = {
      PUBSUB_EMULATOR_HOST: pubsub.host,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: projectId,
      EDGEFLOW_PROJECT_ID: projectId,
      EDGEFLOW_TELEMETRY_TOPIC: topology.topics.telemetry.name,
      EDGEFLOW_ALERTS_TOPIC: topology.topics.alerts.name,
      EDGEFLOW_DEAD_LETTER_TOPIC: topology.topics.deadLetters.name,
    };
    const functionEnv = (extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(hostEnv)) {
        if (v !== undefined && (INHERITED.includes(k) || k.startsWith('EDGEFLOW_'))) env[k] = v;
      }
      return { ...env, ...clientEnv, ...options.env, ...extra };
    };

    const servers = new Map<ServedFunction, FunctionServer>();
    const launch = async (
      fn: ServedFunction,
      extra?: Readonly<Record<string, string>>,
    ): Promise<FunctionServer> => {
      const server = await startFunction({
        name: fn,
        source: options.functionSources?.[fn],
        env: functionEnv(extra),
        logger,
        ...(options.onFunctionOutput
          ? { onOutput: (line: string) => options.onFunctionOutput?.(fn, line) }
          : {}),
      });
      servers.set(fn, server);
      return server;
    };
    stoppers.push(async () => {
      await Promise.allSettled([...servers.values()].map((s) => s.stop()));
    });
    await settleAll(served.map((fn) => launch(fn)));

    const urls = (): Record<ServedFunction, string> => {
      const out = {} as Record<ServedFunction, string>;
      for (const [fn, s] of servers) out[fn] = s.url;
      return out;
    };
    await applyTopology({ pubsubHost: pubsub.host, projectId, topology, functionUrls: urls(), logger });
    logger.info(
      {
        projectId,
        pubsub: pubsub.host,
        firestore: firestore.host,
        functions: urls(),
        startMs: Math.round(performance.now() - startedAt),
      },
      'local cloud started',
    );

    let stopped = false;
    const cloud: LocalCloud = {
      projectId,
      pubsubHost: pubsub.host,
      firestoreHost: firestore.host,
      get functionUrls() {
        return urls();
      },
      env: Object.freeze(clientEnv),
      topology,
      functionPgid(fn) {
        const s = servers.get(fn);
        if (!s) throw new Error(`function ${fn} is not served`);
        return s.pgid;
      },
      async restartFunction(fn, env) {
        await servers.get(fn)?.stop();
        servers.delete(fn);
        await launch(fn, env);
        await applyTopology({ pubsubHost: pubsub.host, projectId, topology, functionUrls: urls(), logger });
      },
      clearFirestore: () => clearFirestore(firestore.host, projectId),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        logger.info('local cloud stopped');
      },
    };
    return cloud;
  } catch (err) {
    await stopAll();
    throw err;
  }

  function track(handle: EmulatorHandle): EmulatorHandle {
    stoppers.push(() => handle.stop());
    return handle;
  }
}

/** Like Promise.all, but waits for every promise before rejecting with the first failure. */
async function settleAll<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Deletes every document in the emulator's default database for `projectId`. */
export async function clearFirestore(firestoreHost: string, projectId: string): Promise<void> {
  const url = `http://${firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`;
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`clearing Firestore at ${firestoreHost} failed: HTTP ${res.status}`);
}
