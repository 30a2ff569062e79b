import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Lane } from '../../src/outbox/lane.ts';
import { appendDurable, open, reading, tempDir } from './support.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('lane reads racing with segment deletion', () => {
  it('does not skip a segment when older ones are dropped while it reads', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const { outbox } = await open(dir, { maxBytes: 4 * 1024 * 1024, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 40; i++) {
      await appendDurable(
        outbox,
        Array.from({ length: 200 }, (_, k) => reading(i * 200 + k)),
      );
    }
    await outbox.close();

    const lane = new Lane(join(dir, 'telemetry'));
    await lane.recover(0);
    expect(lane.segments.length).toBeGreaterThanOrEqual(4);
    const firstIds = lane.segments.map((s) => s.firstId);
    const seen: number[] = [];
    let dropped = false;
    await lane.read(0, (frame) => {
      if (!dropped) {
        dropped = true;
        // A commit deletes the segment being read (shifting the list) mid-read.
        void lane.dropOldest(() => true);
      }
      for (let i = 0; i < frame.count; i++) seen.push(frame.firstId + i);
      return false;
    });
    await lane.close();
    expect(lane.segments[0]?.firstId).toBe(firstIds[1]);
    expect(seen).toEqual(Array.from({ length: 40 * 200 }, (_, i) => i));
  });
});
