/**
 * The forwarder's acknowledged position, in one small JSON file replaced atomically:
 * write a temp file, fsync it, rename over the old one, fsync the directory. A crash at any
 * point leaves either the old or the new checkpoint, never a torn one.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxPosition } from './types.ts';

export const CHECKPOINT_FILE = 'checkpoint.json';

export interface Checkpoint extends OutboxPosition {
  /** Ends (exclusive seqs) of telemetry batches published but not yet committed, ascending. */
  readonly plannedTelemetryEnds: readonly number[];
}

export const EMPTY_CHECKPOINT: Checkpoint = Object.freeze({
  telemetrySeq: 0,
  alertIndex: 0,
  plannedTelemetryEnds: Object.freeze([]) as readonly number[],
});

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Reads the checkpoint; a missing file is the empty position, an unreadable one an error. */
export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CHECKPOINT;
    throw err;
  }
  const value = JSON.parse(text) as Record<string, unknown>;
  const planned = Array.isArray(value.plannedTelemetryEnds) ? value.plannedTelemetryEnds : [];
  if (!isCount(value.telemetrySeq) || !isCount(value.alertIndex) || !planned.every(isCount)) {
    throw new Error(`checkpoint ${join(dir, CHECKPOINT_FILE)} has an unexpected shape`);
  }
  return { telemetrySeq: value.telemetrySeq, alertIndex: value.alertIndex, plannedTelemetryEnds: planned };
}

export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const target = join(dir, CHECKPOINT_FILE);
  const temp = `${target}.tmp`;
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(JSON.stringify({ version: 1, ...checkpoint }));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, target);
  await fsyncDir(dir);
}

export async function removeStaleTemp(dir: string): Promise<void> {
  await unlink(join(dir, `${CHECKPOINT_FILE}.tmp`)).catch(() => undefined);
}

/** Makes a directory entry change (create, rename, unlink) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
