/**
 * The real gateway as a child process (`node edge/src/cli/gateway.ts --config <file>`), for
 * kill -9 tests: start, wait for the readiness line, SIGKILL, SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/gateway.ts', import.meta.url));
const READY = /gateway ready (mqtt:\/\/\S+)/;

export interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Last lines of stderr/stdout, for failure messages. */
  output(): string;
  kill9(): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code. */
  terminate(timeoutMs?: number): Promise<number | null>;
}

export async function startGatewayProcess(
  configPath: string,
  env: NodeJS.ProcessEnv,
  readyTimeoutMs = 30_000,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CLI, '--config', configPath], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway not ready within ${readyTimeoutMs} ms:\n${tail.join('\n')}`));
    }, readyTimeoutMs);
    lines.on('line', (line) => {
      keep(line);
      const m = READY.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before ready:\n${tail.join('\n')}`));
    });
  });
  return {
    url,
    child,
    output: () => tail.join('\n'),
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async terminate(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

/** mulberry32: a tiny seeded PRNG, so kill moments are reproducible from the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
