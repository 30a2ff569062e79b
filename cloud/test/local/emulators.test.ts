import { execFileSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type EmulatorHandle,
  LocalErrorCodes,
  LocalStackError,
  startFirestoreEmulator,
  startPubSubEmulator,
} from '../../src/local/index.ts';
import { isGroupAlive } from '../../src/local/process-group.ts';

// Fresh env without the emulator-host variables, so these tests always start their own.
function ownEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  delete env.FIRESTORE_EMULATOR_HOST;
  return env;
}

function groupMembers(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[1] === String(pgid))
    .map((cols) => cols.join(' '));
}

async function checkLifecycle(start: () => Promise<EmulatorHandle>): Promise<void> {
  const handle = await start();
  expect(handle.host).toMatch(/^127\.0\.0\.1:\d+$/);
  const pgid = handle.pgid as number;
  expect(pgid).toBeGreaterThan(0);
  // Ready means it answers HTTP now, not eventually.
  const res = await fetch(`http://${handle.host}/`);
  expect(res.status).toBe(200);
  expect(groupMembers(pgid).some((m) => m.includes('java'))).toBe(true);
  await handle.stop();
  expect(isGroupAlive(pgid)).toBe(false);
  expect(groupMembers(pgid)).toEqual([]);
  await expect(fetch(`http://${handle.host}/`)).rejects.toThrow();
}

describe('emulator launchers', () => {
  it('starts the Pub/Sub emulator on a free port, waits until ready, stops with no process left', async () => {
    await checkLifecycle(() => startPubSubEmulator({ env: ownEnv(), projectId: 'demo-t' }));
  }, 90_000);

  it('starts the Firestore emulator the same way', async () => {
    await checkLifecycle(() => startFirestoreEmulator({ env: ownEnv() }));
  }, 90_000);

  it('reuses an emulator named by the environment; stop is a no-op', async () => {
    const handle = await startPubSubEmulator({ env: { ...ownEnv(), PUBSUB_EMULATOR_HOST: '127.0.0.1:1' } });
    expect(handle.host).toBe('127.0.0.1:1');
    expect(handle.pgid).toBeUndefined();
    await handle.stop();
    await expect(
      startFirestoreEmulator({ env: { FIRESTORE_EMULATOR_HOST: 'nonsense' } }),
    ).rejects.toMatchObject({
      code: LocalErrorCodes.BAD_EMULATOR_HOST,
    });
  });

  it('names the packages to install when the CLI and Java are missing', async () => {
    const env = { PATH: '/nonexistent', CLOUDSDK_ROOT_DIR: '/nonexistent' };
    const err = await startFirestoreEmulator({ env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalStackError);
    expect((err as LocalStackError).code).toBe(LocalErrorCodes.EMULATOR_MISSING);
    expect((err as Error).message).toContain('openjdk-17-jre-headless');
    expect((err as Error).message).toContain('google-cloud-cli-firestore-emulator');
    const err2 = await startPubSubEmulator({ env }).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain('google-cloud-cli-pubsub-emulator');
  });

  it('fails with the emulator output when it cannot bind its port', async () => {
    // A listener that accepts and hangs up: the port is taken but never answers HTTP.
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const err = await startPubSubEmulator({ env: ownEnv(), port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalStackError);
      expect((err as LocalStackError).code).toBe(LocalErrorCodes.EMULATOR_START_FAILED);
      expect((err as Error).message).toContain('emulator output');
      expect((err as Error).message).toMatch(/Address already in use/);
    } finally {
      blocker.close();
    }
  }, 90_000);
});
