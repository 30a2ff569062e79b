import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';

const CLI = fileURLToPath(new URL('../../src/local/cli.ts', import.meta.url));

interface Up {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function startUp(...args: string[]): Up {
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  delete env.FIRESTORE_EMULATOR_HOST;
  const child = spawn(process.execPath, [CLI, 'up', '--log-level', 'debug', '--quiet-functions', ...args], {
    env,
  });
  const up: Up = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (c: Buffer) => {
    up.stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    up.stderr += c.toString();
  });
  return up;
}

/** Process groups the stack reported (emulators and function servers log their pgid). */
function reportedGroups(stderr: string): number[] {
  const pgids = new Set<number>();
  for (const line of stderr.split('\n')) {
    const m = /"pgid":(\d+)/.exec(line);
    if (m) pgids.add(Number(m[1]));
  }
  return [...pgids];
}

/** Members of the groups that are still running (zombies are dead, only unreaped by PID 1 here). */
function liveMembers(pgids: number[]): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      const c = l.split(/\s+/);
      return pgids.includes(Number(c[1])) && !c[2]?.startsWith('Z');
    });
}

let current: Up | undefined;
afterEach(() => {
  current?.child.kill('SIGKILL');
  current = undefined;
});

describe('npm run local -- up', () => {
  it('prints the gateway environment and "local cloud ready"; SIGTERM tears everything down', async () => {
    const up = startUp('--gateway', 'gw-one', '--gateway', 'gw-two');
    current = up;
    await waitFor(() => up.stdout.includes('local cloud ready'), {
      timeoutMs: 120_000,
      what: 'local cloud ready',
    });
    expect(up.stdout).toMatch(/^export PUBSUB_EMULATOR_HOST=127\.0\.0\.1:\d+$/m);
    expect(up.stdout).toMatch(/^export FIRESTORE_EMULATOR_HOST=127\.0\.0\.1:\d+$/m);
    expect(up.stdout).toMatch(/^export GOOGLE_CLOUD_PROJECT=demo-edgeflow$/m);
    // No shared telemetry topic: one per gateway named on the command line.
    expect(up.stdout).not.toMatch(/EDGEFLOW_TELEMETRY_TOPIC/);
    expect(up.stdout).toMatch(
      /^# telemetry topic of gw-one: projects\/demo-edgeflow\/topics\/edgeflow-telemetry-gw-one$/m,
    );
    expect(up.stdout).toMatch(
      /^# telemetry topic of gw-two: projects\/demo-edgeflow\/topics\/edgeflow-telemetry-gw-two$/m,
    );
    const groups = reportedGroups(up.stderr);
    expect(groups).toHaveLength(6); // two emulators, four functions (ingest, notify, triage, api)
    expect(liveMembers(groups).length).toBeGreaterThanOrEqual(10);

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(liveMembers(groups)).toEqual([]);
  }, 180_000);

  it('leaves no Java or function process behind even when killed with SIGKILL', async () => {
    const up = startUp('--functions', 'triage');
    current = up;
    await waitFor(() => up.stdout.includes('local cloud ready'), {
      timeoutMs: 120_000,
      what: 'local cloud ready',
    });
    const groups = reportedGroups(up.stderr);
    expect(groups).toHaveLength(3);
    up.child.kill('SIGKILL');
    await up.exited;
    // The supervisors see their stdin close and stop what they run.
    await waitFor(() => liveMembers(groups).length === 0, {
      timeoutMs: 30_000,
      what: 'every process of the stack to exit',
    });
  }, 180_000);

  it('rejects a bad gateway id with a usage message', async () => {
    const up = startUp('--gateway', 'Bad_Id');
    current = up;
    expect(await up.exited).not.toBe(0);
    expect(up.stderr).toContain('must be a gateway id');
  }, 30_000);

  it('rejects a bad port with a usage message', async () => {
    const up = startUp('--pubsub-port', 'abc');
    current = up;
    expect(await up.exited).not.toBe(0);
    expect(up.stderr).toContain('must be a port number');
  }, 30_000);
});
