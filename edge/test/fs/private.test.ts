import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeErrorCodes } from '../../src/errors.ts';
import { ensurePrivateDir, sharedMode, writePrivateFile } from '../../src/fs/private.ts';
import { openOutbox } from '../../src/outbox/index.ts';
import { emptyRegistry, readRegistry, writeRegistry } from '../../src/registry/store.ts';
import { startTestGateway, writeTestRegistry } from '../helpers/gateway.ts';
import { outboxConfig } from '../outbox/support.ts';

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'edgeflow-private-'));
  return dir;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('writePrivateFile', () => {
  it('replaces a pre-existing 0644 file with a new 0600 one', async () => {
    const path = join(await freshDir(), 'devices.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await chmod(path, 0o644);
    const before = await stat(path);
    await writeRegistry(path, emptyRegistry());
    const after = await stat(path);
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.ino).not.toBe(before.ino);
    expect(await readRegistry(path)).toEqual(emptyRegistry());
  });

  it('never writes through a pre-planted symlink: refused with a code, the target untouched', async () => {
    const d = await freshDir();
    const victim = join(d, 'victim');
    await writeFile(victim, 'precious', { mode: 0o644 });
    const path = join(d, 'creds.json');
    await symlink(victim, path);
    await expect(writePrivateFile(path, 'secret')).rejects.toMatchObject({
      code: EdgeErrorCodes.FILE_UNSAFE,
    });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect(await modeOf(victim)).toBe(0o644);
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    // No temp file is left behind.
    expect((await readdir(d)).sort()).toEqual(['creds.json', 'victim']);
  });

  it('refuses a dangling symlink too (it would create the file where the link points)', async () => {
    const d = await freshDir();
    const path = join(d, 'devices.json');
    await symlink(join(d, 'elsewhere.json'), path);
    await expect(writeRegistry(path, emptyRegistry())).rejects.toMatchObject({
      code: EdgeErrorCodes.FILE_UNSAFE,
    });
    expect(await readdir(d)).toEqual(['devices.json']);
  });

  it('creates a missing parent directory as 0700, whatever the umask', async () => {
    const d = await freshDir();
    const path = join(d, 'data', 'devices.json');
    await writeRegistry(path, emptyRegistry());
    expect(await modeOf(join(d, 'data'))).toBe(0o700);
    expect(await modeOf(path)).toBe(0o600);
  });
});

describe('sharedMode', () => {
  it('names the mode of a file others can read, nothing for 0600 or a missing file', async () => {
    const d = await freshDir();
    const path = join(d, 'devices.json');
    expect(await sharedMode(path)).toBeUndefined();
    await writeRegistry(path, emptyRegistry());
    expect(await sharedMode(path)).toBeUndefined();
    await chmod(path, 0o644);
    expect(await sharedMode(path)).toBe('644');
  });
});

describe('the gateway at start-up', () => {
  it('warns about a registry file readable by others', async () => {
    const d = await freshDir();
    const registryFile = join(d, 'devices.json');
    await writeTestRegistry(registryFile, { 'dev-a': 'device' });
    await chmod(registryFile, 0o644);
    const lines: string[] = [];
    const gw = await startTestGateway({
      config: { registryFile },
      logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }),
    });
    await gw.close();
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.registryFile === registryFile);
    expect(warning).toMatchObject({ mode: '644' });
    expect(warning.msg).toContain('chmod 600');
  });
});

describe('ensurePrivateDir', () => {
  it('creates 0700, narrows an existing 0755 directory and reports it', async () => {
    const d = await freshDir();
    const reports: unknown[] = [];
    await ensurePrivateDir(join(d, 'new'), (info) => reports.push(info));
    expect(await modeOf(join(d, 'new'))).toBe(0o700);
    expect(reports).toEqual([]);
    await mkdir(join(d, 'wide'));
    await chmod(join(d, 'wide'), 0o755);
    await ensurePrivateDir(join(d, 'wide'), (info) => reports.push(info));
    expect(await modeOf(join(d, 'wide'))).toBe(0o700);
    expect(reports).toEqual([{ dir: join(d, 'wide'), mode: '755', fixed: true }]);
  });

  it('the outbox creates its directories 0700 and narrows a wider existing one', async () => {
    const d = await freshDir();
    const outboxDir = join(d, 'outbox');
    await mkdir(outboxDir);
    await chmod(outboxDir, 0o755);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const outbox = await openOutbox(outboxConfig(outboxDir), {
      clock: systemClock,
      logger,
      registry: new Registry(),
    });
    try {
      expect(await modeOf(outboxDir)).toBe(0o700);
      expect(await modeOf(join(outboxDir, 'telemetry'))).toBe(0o700);
      expect(await modeOf(join(outboxDir, 'alerts'))).toBe(0o700);
      expect(warnings.join('')).toContain('narrowed to 0700');
    } finally {
      await outbox.close();
    }
  });
});
