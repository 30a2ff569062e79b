/**
 * Measurement (not a test): how fast the forwarder drains a backlog from disk, and the
 * process memory while >= 1M readings are buffered. Appends N readings (1000 per append)
 * with the publisher "down", then brings it up (an in-process publisher that acknowledges at
 * once, so the figure is the edge's own read + batch + encode cost) and times the drain.
 *
 *   node edge/test/forwarder/support/measure-drain.ts [readings, default 1000000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { type ForwarderConfig, ForwarderConfigSchema, startForwarder } from '../../../src/forwarder/index.ts';
import { type OutboxConfig, OutboxConfigSchema, openOutbox } from '../../../src/outbox/index.ts';

const N = Number(process.argv[2] ?? 1_000_000);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
const dir = await mkdtemp(join(tmpdir(), 'edgeflow-drain-'));
try {
  const deps = { clock: systemClock, logger: pino({ level: 'silent' }), registry: new prom.Registry() };
  const outbox = await openOutbox(Value.Default(OutboxConfigSchema, { dir }) as OutboxConfig, deps);
  let up = false;
  let bytesSent = 0;
  const publisher = {
    async publish(data: Uint8Array) {
      if (!up) throw new Error('UNAVAILABLE');
      bytesSent += data.byteLength;
      return 'id';
    },
  };
  const config = Value.Default(ForwarderConfigSchema, {
    backoff: { initialMs: 1000, maxMs: 1000, multiplier: 1, jitter: 0 },
  }) as ForwarderConfig;
  const forwarder = startForwarder(config, { ...deps, outbox, publisher, gatewayId: 'gw-measure' });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    const readings = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
      deviceId: `dev-${(i + k) % 200}`,
      metric: 'temperature',
      tsMs: 1_767_225_600_000 + (i + k) * 10,
      value: ((i + k) % 4000) / 100,
    }));
    await new Promise<void>((resolve, reject) =>
      outbox.appendReadings(readings, (err) => (err ? reject(err) : resolve())),
    );
  }
  const appendS = (performance.now() - t0) / 1000;
  const buffered = outbox.stats();
  gc();
  const rssBuffered = process.memoryUsage().rss;
  const heapBuffered = process.memoryUsage().heapUsed;
  up = true;
  const t1 = performance.now();
  let rssMax = rssBuffered;
  while (outbox.reader.committed().telemetrySeq < N) {
    await new Promise((r) => setTimeout(r, 50));
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  const drainS = (performance.now() - t1) / 1000;
  await forwarder.stop();
  await outbox.close();
  console.log(
    `appended ${N} readings in ${appendS.toFixed(1)} s (${Math.round(N / appendS)} readings/s durable)`,
  );
  console.log(
    `buffered on disk: ${buffered.records} records, ${mib(buffered.bytes)} MiB; after gc: RSS ${mib(rssBuffered)} MiB, heap used ${mib(heapBuffered)} MiB, heap total ${mib(process.memoryUsage().heapTotal)} MiB, external ${mib(process.memoryUsage().external)} MiB`,
  );
  console.log(
    `drained in ${drainS.toFixed(1)} s: ${Math.round(N / drainS)} readings/s, ${(bytesSent / N).toFixed(2)} B/reading upstream, max RSS while draining ${mib(rssMax)} MiB`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
