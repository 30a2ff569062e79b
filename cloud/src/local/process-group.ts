/**
 * Child processes that cannot outlive us. Each runs in its own process group (detached
 * spawn) under a tiny `sh` supervisor that:
 * - forwards SIGTERM to the real process (a JVM or Node) and waits for it, so it is reaped
 *   and nothing is left as an orphan or zombie;
 * - kills the real process when its stdin (a pipe only we hold) reaches EOF, which is what
 *   happens when we die without cleaning up (kill -9, crash, an unhandled SIGINT).
 * The supervisor also reaps the watcher it forks: some container init processes (PID 1 here)
 * never reap re-parented children, so every process must be waited for by its own parent.
 * On a normal exit the `exit` hook SIGKILLs every live group synchronously as a last resort.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * `$0` is the name shown in `ps`; `$@` the command. See the module comment for why. An
 * asynchronous list gets /dev/null as stdin unless redirected explicitly, hence fd 3.
 */
const SUPERVISOR = `
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
( while read -r _; do :; done; kill -TERM "$child" 2>/dev/null ) <&3 &
reader=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
wait "$child"; status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null
exit $status
`;

const OUTPUT_TAIL_BYTES = 8 * 1024;
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnGroupOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly cwd?: string;
  /** Each complete output line, e.g. to echo a function's logs. Default: logged at debug. */
  readonly onLine?: (line: string) => void;
}

export class ManagedProcess {
  readonly name: string;
  /** Pid of the supervisor, which is also the process group id. */
  readonly pgid: number;
  readonly exited: Promise<ExitInfo>;
  #child: ChildProcess;
  #tail = '';
  #outputListeners: ((text: string) => void)[] = [];
  #exitInfo: ExitInfo | undefined;

  constructor(name: string, command: string, args: readonly string[], options: SpawnGroupOptions) {
    this.name = name;
    this.#child = spawn('sh', ['-c', SUPERVISOR, name, command, ...args], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
    });
    if (this.#child.pid === undefined) throw new Error(`could not spawn sh for ${name}`);
    this.pgid = this.#child.pid;
    const log = options.logger.child({ process: name });
    const onLine = (line: string): void => {
      this.#tail = `${this.#tail}${line}\n`.slice(-OUTPUT_TAIL_BYTES);
      for (const listener of this.#outputListeners) listener(line);
      if (!line.trim()) return;
      if (options.onLine) options.onLine(line);
      else log.debug({ output: line }, 'child output');
    };
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
    }
    // The write end stays open and unused: its closing is the supervisor's death signal.
    this.#child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitInfo = { code, signal };
        live.delete(this);
        resolve(this.#exitInfo);
      });
    });
    live.add(this);
    installExitHook();
  }

  get hasExited(): boolean {
    return this.#exitInfo !== undefined;
  }

  /** Resolves with the first output line matching `pattern` (e.g. a fatal start-up error). */
  outputMatching(pattern: RegExp): Promise<string> {
    return new Promise((resolve) => {
      const listener = (text: string): void => {
        const m = pattern.exec(text);
        if (m) {
          this.#outputListeners = this.#outputListeners.filter((l) => l !== listener);
          resolve(m[0]);
        }
      };
      this.#outputListeners.push(listener);
    });
  }

  /** The last few KiB of combined stdout and stderr, for error messages. */
  outputTail(maxChars = 2000): string {
    return this.#tail.slice(-maxChars);
  }

  /** Graceful stop (SIGTERM via the supervisor), then SIGKILL of the whole group after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.hasExited) {
      signal(this.pgid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.pgid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Anything still in the group (a grandchild that ignored SIGTERM) goes now.
    signalGroup(this.pgid, 'SIGKILL');
    for (let i = 0; i < 40 && isGroupAlive(this.pgid); i++) await sleep(50);
    this.#child.stdin?.destroy();
  }
}

export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone.
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  signal(-pgid, sig);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) signalGroup(p.pgid, 'SIGKILL');
  });
}
