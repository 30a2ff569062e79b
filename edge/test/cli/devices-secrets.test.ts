import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAccounts } from '../../src/registry/accounts.ts';
import { Authenticator } from '../../src/registry/authenticator.ts';
import { devices } from './support.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const secretOf = (stdout: string) => /secret \(shown once\): (\S+)/.exec(stdout)?.[1] as string;

describe('devices CLI: files holding secrets', () => {
  it('provision replaces a pre-existing 0644 credentials file with a 0600 one, and refuses a symlink', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-devices-'));
    const registry = join(dir, 'devices.json');
    const credentials = join(dir, 'creds.json');
    await writeFile(credentials, '{}');
    await chmod(credentials, 0o644);
    const ok = await devices(
      'provision',
      '--count',
      '2',
      '--credentials-out',
      credentials,
      '--scrypt-n',
      '16',
      '-r',
      registry,
    );
    expect(ok.code).toBe(0);
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    expect((await stat(registry)).mode & 0o777).toBe(0o600);

    const victim = join(dir, 'victim');
    await writeFile(victim, 'precious');
    const planted = join(dir, 'planted.json');
    await symlink(victim, planted);
    const registryBefore = await readFile(registry, 'utf8');
    const refused = await devices(
      'provision',
      '--count',
      '2',
      '--start',
      '10',
      '--credentials-out',
      planted,
      '--scrypt-n',
      '16',
      '-r',
      registry,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('EDGEFLOW_EDGE_FILE_UNSAFE');
    expect(await readFile(victim, 'utf8')).toBe('precious');
    // Credentials are written first: the registry is unchanged, nothing orphaned.
    expect(await readFile(registry, 'utf8')).toBe(registryBefore);
  }, 30_000);

  it('rotate gives an account a new secret, keeping its role; the old secret stops working', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-devices-'));
    const registry = join(dir, 'devices.json');
    const added = await devices('add', 'op-1', '--role', 'operator', '--scrypt-n', '16', '-r', registry);
    const rotated = await devices('rotate', 'op-1', '-r', registry);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('rotated operator op-1');
    const auth = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 4 });
    auth.setAccounts(await loadAccounts(registry, {}));
    expect(await auth.authenticate('op-1', Buffer.from(secretOf(added.stdout)))).toBe('bad_password');
    expect(await auth.authenticate('op-1', Buffer.from(secretOf(rotated.stdout)))).toEqual({
      role: 'operator',
      id: 'op-1',
    });
    expect((await devices('rotate', 'nobody', '-r', registry)).code).toBe(1);
  }, 30_000);
});
