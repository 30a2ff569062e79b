/**
 * The checkpoint file read back after a restart: a missing file is the empty position, a
 * file of any other shape than the one written is an error (never a silently reset
 * position), and the write leaves no temp file behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FILE,
  EMPTY_CHECKPOINT,
  readCheckpoint,
  removeStaleTemp,
  writeCheckpoint,
} from '../../src/outbox/checkpoint.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeflow-checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const put = (value: unknown) => writeFile(join(dir, CHECKPOINT_FILE), JSON.stringify(value));

describe('checkpoint file', () => {
  it('a missing file is the empty position', async () => {
    expect(await readCheckpoint(dir)).toBe(EMPTY_CHECKPOINT);
  });

  it('reads back what was written, without a temp file left', async () => {
    const checkpoint = { telemetrySeq: 12, alertIndex: 0, plannedTelemetryEnds: [20, 31] };
    await writeCheckpoint(dir, checkpoint);
    expect(await readCheckpoint(dir)).toEqual(checkpoint);
    expect(await readdir(dir)).toEqual([CHECKPOINT_FILE]);
    expect(JSON.parse(await readFile(join(dir, CHECKPOINT_FILE), 'utf8'))).toEqual({
      version: 1,
      ...checkpoint,
    });
  });

  it('reads a file without planned ends (older gateways) as none planned', async () => {
    await put({ telemetrySeq: 3, alertIndex: 4 });
    expect(await readCheckpoint(dir)).toEqual({ telemetrySeq: 3, alertIndex: 4, plannedTelemetryEnds: [] });
    await put({ telemetrySeq: 3, alertIndex: 4, plannedTelemetryEnds: 'x' });
    expect((await readCheckpoint(dir)).plannedTelemetryEnds).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['a negative seq', { telemetrySeq: -1, alertIndex: 0 }],
    ['a fractional seq', { telemetrySeq: 1.5, alertIndex: 0 }],
    ['a string seq', { telemetrySeq: '1', alertIndex: 0 }],
    ['an unsafe alert index', { telemetrySeq: 0, alertIndex: 2 ** 53 }],
    ['no alert index', { telemetrySeq: 0 }],
    ['a negative planned end', { telemetrySeq: 0, alertIndex: 0, plannedTelemetryEnds: [5, -1] }],
  ])('refuses %s', async (_name, value) => {
    await put(value);
    await expect(readCheckpoint(dir)).rejects.toThrow(/has an unexpected shape/);
  });

  it('accepts zero everywhere', async () => {
    await put({ telemetrySeq: 0, alertIndex: 0, plannedTelemetryEnds: [0] });
    expect(await readCheckpoint(dir)).toEqual({ telemetrySeq: 0, alertIndex: 0, plannedTelemetryEnds: [0] });
  });

  it('removes a stale temp file, and tolerates none', async () => {
    await writeFile(join(dir, `${CHECKPOINT_FILE}.tmp`), '{"torn');
    await removeStaleTemp(dir);
    expect(await readdir(dir)).toEqual([]);
    await expect(removeStaleTemp(dir)).resolves.toBeUndefined();
  });
});
