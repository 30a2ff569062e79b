/**
 * One process per outbox directory: two gateways appending to the same segments would
 * corrupt them. A LOCK file holds the owner's pid; a lock left by a process that no longer
 * runs (kill -9, power loss) is taken over. In a container the restarted gateway may get the
 * same pid as the dead one, which is why our own pid counts as free.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutboxError, OutboxErrorCodes } from './errors.ts';

const LOCK_FILE = 'LOCK';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDirLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const held = await readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(held, 10);
  if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
    throw new OutboxError(
      OutboxErrorCodes.OPEN_FAILED,
      `outbox directory ${dir} is in use by process ${pid} (another gateway?); remove ${path} only if that is wrong`,
    );
  }
  await writeFile(path, `${process.pid}\n`);
  return async () => {
    const now = await readFile(path, 'utf8').catch(() => '');
    if (Number.parseInt(now, 10) === process.pid) await unlink(path).catch(() => undefined);
  };
}
