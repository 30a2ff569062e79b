import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
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

describe('devices CLI', () => {
  it('add prints a secret once that authenticates; list shows no secrets; remove revokes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-devices-'));
    const registry = join(dir, 'devices.json');
    const added = await devices('add', 'dev-1', '--scrypt-n', '16', '-r', registry);
    expect(added.code).toBe(0);
    const secret = /secret \(shown once\): (\S+)/.exec(added.stdout)?.[1] as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await readFile(registry, 'utf8')).not.toContain(secret);
    expect((await stat(registry)).mode & 0o777).toBe(0o600);
    await devices('add', 'op-1', '--role', 'operator', '--scrypt-n', '16', '-r', registry);
    expect((await devices('add', 'dev-1', '-r', registry)).code).toBe(1);

    const auth = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 4 });
    auth.setAccounts(await loadAccounts(registry, {}));
    expect(await auth.authenticate('dev-1', Buffer.from(secret))).toEqual({ role: 'device', id: 'dev-1' });
    expect(await auth.authenticate('dev-1', Buffer.from('nope'))).toBe('bad_password');

    const list = await devices('list', '-r', registry);
    expect(list.stdout).toBe('dev-1\tdevice\nop-1\toperator\n');
    expect((await devices('remove', 'dev-1', '-r', registry)).code).toBe(0);
    auth.setAccounts(await loadAccounts(registry, {}));
    expect(await auth.authenticate('dev-1', Buffer.from(secret))).toBe('unknown_user');
  }, 30_000);

  it('provision writes the agreed credentials file for a fleet', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-devices-'));
    const registry = join(dir, 'devices.json');
    const credentials = join(dir, 'creds.json');
    const result = await devices(
      'provision',
      '--count',
      '12',
      '--prefix',
      'sim-',
      '--credentials-out',
      credentials,
      '--broker',
      'mqtt://127.0.0.1:1883',
      '--scrypt-n',
      '16',
      '-r',
      registry,
    );
    expect(result.code).toBe(0);
    const file = JSON.parse(await readFile(credentials, 'utf8')) as {
      broker: string;
      devices: Array<{ deviceId: string; password: string }>;
    };
    expect(Object.keys(file).sort()).toEqual(['broker', 'devices']);
    expect(file.broker).toBe('mqtt://127.0.0.1:1883');
    expect(file.devices.map((d) => d.deviceId)).toEqual(
      Array.from({ length: 12 }, (_, i) => `sim-${String(i + 1).padStart(2, '0')}`),
    );
    const auth = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 4 });
    auth.setAccounts(await loadAccounts(registry, {}));
    for (const d of file.devices)
      expect(await auth.authenticate(d.deviceId, Buffer.from(d.password))).toMatchObject({ id: d.deviceId });
    // Provisioning again without --replace refuses to overwrite.
    expect(
      (await devices('provision', '--count', '12', '--credentials-out', credentials, '-r', registry)).code,
    ).toBe(1);
  }, 30_000);

  it('every command has --help', async () => {
    const results = await Promise.all(
      [[], ['add'], ['remove'], ['rotate'], ['list'], ['provision'], ['hash']].map((command) =>
        devices(...command, '--help'),
      ),
    );
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: edgeflow-devices/);
    }
  }, 30_000);
});
