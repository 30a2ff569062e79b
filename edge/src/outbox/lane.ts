/**
 * One append-only lane of the outbox (telemetry or alerts): a directory of segment files
 * named by the first id they hold. Ids are consecutive across the lane (reading seqs or
 * alert indexes), so a sealed segment holds exactly [its first id, the next segment's first
 * id). Only the newest segment is written to; older ones are immutable and were fsynced
 * before the newest was created, so recovery only has to validate the newest one.
 */
import { type FileHandle, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './checkpoint.ts';
import { type DecodedFrame, FRAME_HEADER_BYTES, parseFrame } from './frame.ts';

const SEGMENT_RE = /^(\d{16})\.seg$/;
const READ_CHUNK_BYTES = 256 * 1024;

export interface Segment {
  readonly firstId: number;
  readonly path: string;
  /** Durable bytes (fsynced); the reader never looks past them. */
  durableBytes: number;
}

/** Sparse (id -> appendedAtMs) samples for the oldest-age gauge, ~1 s resolution, bounded. */
const TIME_SAMPLE_MS = 1000;
const MAX_TIME_SAMPLES = 4096;

export class Lane {
  readonly dir: string;
  readonly segments: Segment[] = [];
  /** Next id to assign (ids < nextId are written or pending). */
  nextId = 0;
  /** Ids < durableId are fsynced. */
  durableId = 0;
  #active: FileHandle | undefined;
  #activeWrittenBytes = 0;
  readonly #timeSamples: Array<[number, number]> = [];
  /** Where the last read stopped: lets sequential reads skip the scan from the segment start. */
  #hint: { segmentFirstId: number; recordFirstId: number; offset: number } | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  static segmentName(firstId: number): string {
    return `${String(firstId).padStart(16, '0')}.seg`;
  }

  /** Lists segments, validates the newest, truncates a torn tail. Returns bytes cut off. */
  async recover(minNextId: number): Promise<{ truncatedBytes: number }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      this.segments.push({ firstId: Number(name.slice(0, 16)), path: join(this.dir, name), durableBytes: 0 });
    }
    let truncatedBytes = 0;
    for (const [i, seg] of this.segments.entries()) {
      const fh = await open(seg.path, 'r+');
      try {
        const { size } = await fh.stat();
        if (i < this.segments.length - 1) {
          seg.durableBytes = size;
          const first = await readFrameAt(fh, 0, size);
          if (first) this.#sampleTime(first.firstId, first.appendedAtMs);
          continue;
        }
        // Newest segment: walk every frame; the first bad one and everything after it is a torn write.
        const buf = await fh.readFile();
        let offset = 0;
        let nextId = seg.firstId;
        for (;;) {
          const r = parseFrame(buf, offset);
          // Ids run on without a hole; anything else is not ours to trust.
          if (!r.ok || r.frame.firstId !== nextId) break;
          this.#sampleTime(r.frame.firstId, r.frame.appendedAtMs);
          nextId = r.frame.firstId + r.frame.count;
          offset += r.frame.length;
        }
        if (offset < size) {
          truncatedBytes = size - offset;
          await fh.truncate(offset);
          await fh.sync();
        }
        seg.durableBytes = offset;
        this.nextId = nextId;
      } finally {
        await fh.close();
      }
    }
    if (this.nextId < minNextId || this.segments.length === 0) {
      // Everything the checkpoint names as acknowledged must keep its seq: never start below it.
      this.nextId = Math.max(this.nextId, minNextId);
      const last = this.segments.at(-1);
      if (!last || last.durableBytes > 0 || last.firstId !== this.nextId)
        await this.#createSegment(this.nextId);
    }
    this.durableId = this.nextId;
    const active = this.segments.at(-1) as Segment;
    this.#active = await open(active.path, 'r+');
    this.#activeWrittenBytes = active.durableBytes;
    return { truncatedBytes };
  }

  async #createSegment(firstId: number): Promise<void> {
    const path = join(this.dir, Lane.segmentName(firstId));
    const fh = await open(path, 'w');
    await fh.close();
    await fsyncDir(this.dir);
    this.segments.push({ firstId, path, durableBytes: 0 });
  }

  get activeBytes(): number {
    return this.#activeWrittenBytes;
  }

  totalBytes(): number {
    let total = this.#activeWrittenBytes;
    for (let i = 0; i < this.segments.length - 1; i++) total += (this.segments[i] as Segment).durableBytes;
    return total;
  }

  /** First id still on disk. */
  firstRetainedId(): number {
    return (this.segments[0] as Segment).firstId;
  }

  /**
   * Writes one group of frames (ids firstId..) and fsyncs. Rolls to a new segment first when
   * the active one is full, so a group never spans segments.
   */
  async writeGroup(
    data: Buffer,
    firstId: number,
    endId: number,
    appendedAtMs: number,
    segmentBytes: number,
    fsync: (fh: FileHandle) => Promise<void>,
  ): Promise<void> {
    if (this.#activeWrittenBytes > 0 && this.#activeWrittenBytes + data.length > segmentBytes) {
      await this.#active?.close();
      this.#active = undefined;
      await this.#createSegment(firstId);
      this.#active = await open((this.segments.at(-1) as Segment).path, 'r+');
      this.#activeWrittenBytes = 0;
    }
    const fh = this.#active as FileHandle;
    const position = this.#activeWrittenBytes;
    let written = 0;
    while (written < data.length) {
      const r = await fh.write(data, written, data.length - written, position + written);
      written += r.bytesWritten;
    }
    this.#activeWrittenBytes += data.length;
    await fsync(fh);
    (this.segments.at(-1) as Segment).durableBytes = this.#activeWrittenBytes;
    this.durableId = endId;
    this.#sampleTime(firstId, appendedAtMs);
  }

  #sampleTime(id: number, appendedAtMs: number): void {
    const last = this.#timeSamples.at(-1);
    if (last && appendedAtMs - last[1] < TIME_SAMPLE_MS) return;
    this.#timeSamples.push([id, appendedAtMs]);
    if (this.#timeSamples.length > MAX_TIME_SAMPLES) {
      // Coarsen rather than grow: keep every other sample.
      for (let i = 1; i < this.#timeSamples.length; i++) this.#timeSamples.splice(i, 1);
    }
  }

  /** Append time of the newest sample at or before `id` (an upper bound of its age). */
  appendedAtOf(id: number): number | undefined {
    let found: number | undefined;
    for (const [sid, t] of this.#timeSamples) {
      if (sid > id) break;
      found = t;
    }
    return found ?? this.#timeSamples[0]?.[1];
  }

  /**
   * Deletes the oldest sealed segment when `shouldDrop(first, end)` says so; returns the
   * dropped range, or undefined when nothing was dropped (the active segment always stays).
   */
  async dropOldest(
    shouldDrop: (firstId: number, endId: number) => boolean,
  ): Promise<[number, number] | undefined> {
    if (this.segments.length < 2) return undefined;
    const seg = this.segments[0] as Segment;
    const endId = (this.segments[1] as Segment).firstId;
    if (!shouldDrop(seg.firstId, endId)) return undefined;
    this.segments.shift();
    await unlink(seg.path);
    await fsyncDir(this.dir);
    while (this.#timeSamples.length > 1 && (this.#timeSamples[1] as [number, number])[0] <= endId) {
      this.#timeSamples.shift();
    }
    if (this.#hint && this.#hint.segmentFirstId === seg.firstId) this.#hint = undefined;
    return [seg.firstId, endId];
  }

  /**
   * Durable frames holding ids >= fromId, in order, until `enough(frame)` returns true.
   * Ids below the oldest retained segment are skipped.
   */
  async read(fromId: number, enough: (frame: DecodedFrame) => boolean): Promise<void> {
    // Segments are found by id, never by array index: a commit or an eviction may drop the
    // oldest segments (shifting the array) while this read awaits.
    let seg: Segment | undefined = this.segments[this.#segmentIndexOf(fromId)];
    let done = false;
    while (!done && seg) {
      const current: Segment = seg;
      const limit = current.durableBytes;
      let offset = 0;
      const hint = this.#hint;
      if (hint && hint.segmentFirstId === current.firstId && hint.recordFirstId <= fromId)
        offset = hint.offset;
      const fh = await open(current.path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // evicted before we got to it
        throw err;
      });
      if (fh) {
        try {
          let buf = Buffer.alloc(0);
          let bufStart = offset;
          while (!done && offset < limit) {
            const r = parseFrame(buf, offset - bufStart);
            if (!r.ok && r.reason === 'short') {
              const want = Math.min(limit - offset, Math.max(READ_CHUNK_BYTES, r.need));
              if (want < r.need) {
                throw new Error(`outbox segment ${current.path} is corrupt at offset ${offset}`);
              }
              buf = Buffer.allocUnsafe(want);
              const { bytesRead } = await fh.read(buf, 0, want, offset);
              buf = buf.subarray(0, bytesRead);
              bufStart = offset;
              if (bytesRead < want)
                throw new Error(`outbox segment ${current.path} is shorter than recorded`);
              continue;
            }
            if (!r.ok) throw new Error(`outbox segment ${current.path} is corrupt at offset ${offset}`);
            const frame = r.frame;
            if (frame.firstId + frame.count > fromId) {
              this.#hint = { segmentFirstId: current.firstId, recordFirstId: frame.firstId, offset };
              done = enough(frame);
            }
            offset += frame.length;
          }
        } finally {
          await fh.close();
        }
      }
      seg = this.segments.find((s) => s.firstId > current.firstId);
    }
  }

  #segmentIndexOf(id: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as Segment).firstId <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async close(): Promise<void> {
    await this.#active?.close();
    this.#active = undefined;
  }
}

/** Reads and validates the frame at `offset`; undefined when it does not fit before `limit`. */
async function readFrameAt(fh: FileHandle, offset: number, limit: number): Promise<DecodedFrame | undefined> {
  const available = limit - offset;
  if (available < FRAME_HEADER_BYTES) return undefined;
  let want = Math.min(available, 4096);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, offset);
    const r = parseFrame(buf.subarray(0, bytesRead), 0);
    if (r.ok) return { ...r.frame, offset };
    if (r.reason === 'corrupt' || r.need > available || bytesRead < want) return undefined;
    want = r.need;
  }
}
