/**
 * Serves the functions with the real functions-framework, one child process per function,
 * like one Cloud Functions instance each. Child processes rather than several servers in
 * our process: each function gets its own environment and module state (per-instance
 * caches, lazily built adapters) exactly as in the cloud, a failing function cannot take
 * the stack or the test runner down, and fault tests can kill -9 one function.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionName } from '@edgeflow/shared';
import type { Logger } from 'pino';
import { LocalErrorCodes, LocalStackError } from './errors.ts';
import { freePort, waitForTcp } from './net.ts';
import { ManagedProcess } from './process-group.ts';

/** `cloud/src/index.ts`: importing it registers every function by name. */
export const FUNCTIONS_SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), '../index.ts');

const require = createRequire(import.meta.url);

/**
 * What the local stack serves: the Pub/Sub-driven functions of the topology, and the `api`
 * HTTP function (the operator API and console), which no subscription pushes to.
 */
export type ServedFunction = FunctionName | 'api';

/** Functions registered with `functions.http` rather than `functions.cloudEvent`. */
const HTTP_FUNCTIONS: ReadonlySet<ServedFunction> = new Set(['api']);

export interface FunctionServer {
  readonly name: ServedFunction;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pgid: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  readonly name: ServedFunction;
  /** Module that registers `name`; default FUNCTIONS_SOURCE. */
  readonly source?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Called with each line the function prints (its JSON logs). */
  readonly onOutput?: (line: string) => void;
  readonly readyTimeoutMs?: number;
}

export async function startFunction(options: StartFunctionOptions): Promise<FunctionServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The package's own CLI (`bin: functions-framework`), next to its main module.
  const main = join(dirname(require.resolve('@google-cloud/functions-framework')), 'main.js');
  const proc = new ManagedProcess(
    `edgeflow-fn-${options.name}`,
    process.execPath,
    [
      main,
      `--target=${options.name}`,
      `--signature-type=${HTTP_FUNCTIONS.has(options.name) ? 'http' : 'cloudevent'}`,
      `--source=${options.source ?? FUNCTIONS_SOURCE}`,
      `--port=${port}`,
    ],
    {
      env: { ...options.env, PORT: String(port), K_SERVICE: options.name, FUNCTION_TARGET: options.name },
      logger: options.logger,
      ...(options.onOutput ? { onLine: options.onOutput } : {}),
    },
  );
  try {
    // Listening is ready: an HTTP probe would be a malformed event to functions-framework.
    await waitForTcp('127.0.0.1', port, {
      timeoutMs: options.readyTimeoutMs ?? 30_000,
      abandonWhen: proc.exited,
    });
  } catch (err) {
    await proc.stop(1000);
    throw new LocalStackError(
      LocalErrorCodes.FUNCTION_START_FAILED,
      `function ${options.name} did not start: ${(err as Error).message}\n--- output (tail) ---\n${proc.outputTail()}`,
      { cause: err },
    );
  }
  options.logger.debug({ fn: options.name, url, pgid: proc.pgid }, 'function serving');
  return { name: options.name, url, pgid: proc.pgid, process: proc, stop: () => proc.stop() };
}
