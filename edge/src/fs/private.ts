/**
 * Files and directories that hold secrets or telemetry: readable by the gateway's user only.
 *
 * A private file is written as a new temp file (exclusive create, O_NOFOLLOW, explicit
 * fchmod 0600, fsync) renamed over the target: a mode given to open() applies only when it
 * creates the file, so writing in place would keep a pre-existing 0644 file's mode, and
 * would write through a symlink planted at the path. rename() replaces the name itself and
 * never follows a link; a symlink found at the target is refused rather than silently
 * replaced, since it usually means the operator meant the file elsewhere.
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Replaces `path` atomically with `data`, mode 0600. Creates a missing parent as 0700. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing && !existing.isFile()) {
    throw new EdgeError(
      EdgeErrorCodes.FILE_UNSAFE,
      `${path} is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; refusing to replace it`,
    );
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, CREATE_EXCLUSIVE, PRIVATE_FILE_MODE);
  try {
    try {
      // The umask can only narrow the mode open() applied; this states it.
      await handle.chmod(PRIVATE_FILE_MODE);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename is durable once the directory entry is.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Creates `dir` (and missing parents) as 0700. A directory that already exists with group or
 * other permissions is narrowed to 0700 and reported through `onWidened` with its old mode
 * (it is the gateway's own directory; a failed chmod, e.g. not the owner, is reported too).
 */
export async function ensurePrivateDir(
  dir: string,
  onWidened: (info: { dir: string; mode: string; fixed: boolean }) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(dir);
  if ((mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
    onWidened({ dir, mode: octal, fixed: true });
  } catch {
    onWidened({ dir, mode: octal, fixed: false });
  }
}

/** The mode (octal) of `path` when group or others have any access to it; undefined if private or missing. */
export async function sharedMode(path: string): Promise<string | undefined> {
  const mode = await stat(path).then(
    (s) => s.mode,
    () => 0,
  );
  return (mode & 0o077) === 0 ? undefined : (mode & 0o777).toString(8).padStart(3, '0');
}
