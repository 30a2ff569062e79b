/**
 * The gateway as the product runs it: a separate process started from its CLI with a config
 * file. Restartable, so fault tests can kill -9 it and bring it back on the same outbox.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Child, spawnNode } from './child.ts';

/** The CLIs exactly as an operator runs them (`npm run gateway`, `npm run devices`). */
export const GATEWAY_CLI = fileURLToPath(new URL('../../edge/src/cli/gateway.ts', import.meta.url));
export const DEVICES_CLI = fileURLToPath(new URL('../../edge/src/cli/devices.ts', import.meta.url));

export interface GatewayProcess {
  readonly configPath: string;
  /** `mqtt://127.0.0.1:<port>`; the same across restarts. */
  readonly mqttUrl: string;
  readonly httpUrl: string;
  readonly child: Child;
  /** Starts it again after a stop or a kill (same config, same outbox, same ports). */
  restart(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<number | string>;
}

const READY = /gateway ready (mqtt:\/\/\S+)/;

export async function startGatewayProcess(options: {
  readonly config: Record<string, unknown>;
  readonly configPath: string;
  readonly httpPort: number;
  readonly env: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  readonly onLine?: (line: string) => void;
}): Promise<GatewayProcess> {
  await writeFile(options.configPath, `${JSON.stringify(options.config, null, 2)}\n`, { mode: 0o600 });
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const launch = async (): Promise<{ child: Child; url: string }> => {
    const child = spawnNode(GATEWAY_CLI, ['--config', options.configPath], {
      env: options.env,
      ...(options.onLine ? { onLine: options.onLine } : {}),
    });
    const m = await child.waitForLine(READY, timeoutMs);
    return { child, url: m[1] as string };
  };
  let current = await launch();
  const handle: GatewayProcess = {
    configPath: options.configPath,
    mqttUrl: current.url,
    httpUrl: `http://127.0.0.1:${options.httpPort}`,
    get child() {
      return current.child;
    },
    async restart() {
      await current.child.stop();
      current = await launch();
    },
    async kill9() {
      await current.child.kill9();
    },
    stop: () => current.child.stop(),
  };
  return handle;
}
