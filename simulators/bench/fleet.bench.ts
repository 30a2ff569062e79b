/**
 * Fleet load run: a bare aedes broker in a child process, the simulator in this one, so the
 * RSS printed is the simulator's alone. Prints the offered rate against the target (the
 * ratio is the figure; it does not depend on the machine) and the simulator's peak RSS.
 *
 *   node simulators/bench/fleet.bench.ts [devices=10000] [rate=1] [duration=60s] [qos=1]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseDurationMs } from '../src/duration.ts';
import { runFleet } from '../src/runner/fleet.ts';

const [devices = 10_000, rate = 1] = process.argv.slice(2, 4).map(Number);
const durationMs = parseDurationMs(process.argv[4] ?? '60s') ?? 60_000;
const qos = process.argv[5] === '0' ? 0 : 1;

const broker = fork(fileURLToPath(new URL('./aedes-server.ts', import.meta.url)), [], { stdio: 'inherit' });
const [{ port }] = (await once(broker, 'message')) as [{ port: number }];
const brokerStats = async () => {
  broker.send('stats');
  const [stats] = (await once(broker, 'message')) as [
    { publishes: number; clients: number; rssBytes: number },
  ];
  return stats;
};

const rssSamples: number[] = [];
let cpuAtRunStart: NodeJS.CpuUsage | undefined;
let runStartMs = 0;
const summary = await runFleet(
  { brokerUrl: `mqtt://127.0.0.1:${port}`, devices, rate, durationMs, qos, connectWaitMs: 120_000 },
  {
    onProgress: (p) => {
      if (p.phase !== 'running') return;
      if (!cpuAtRunStart) {
        cpuAtRunStart = process.cpuUsage();
        runStartMs = performance.now();
      }
      rssSamples.push(process.memoryUsage.rss());
      if (p.elapsedMs % 10_000 < 1000) {
        process.stderr.write(
          `${Math.round(p.elapsedMs / 1000)}s sent ${Math.round(p.sentPerS)}/s acked ${Math.round(p.ackedPerS)}/s ` +
            `connected ${p.connected} rss ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MiB\n`,
        );
      }
    },
  },
);
const runCpu = process.cpuUsage(cpuAtRunStart);
const runWallMs = performance.now() - runStartMs;
const stats = await brokerStats();
broker.kill();

const mib = (b: number) => (b / 1048576).toFixed(1);
const half = Math.floor(rssSamples.length / 2);
const firstHalfPeak = Math.max(...rssSamples.slice(0, half));
const secondHalfPeak = Math.max(...rssSamples.slice(half));
console.log(
  JSON.stringify(
    {
      command: `node simulators/bench/fleet.bench.ts ${devices} ${rate} ${process.argv[4] ?? '60s'} ${qos}`,
      devices,
      ratePerDevice: rate,
      qos,
      durationMs: summary.durationMs,
      connectMs: summary.connectMs,
      targetRatePerS: summary.targetRatePerS,
      offeredRatePerS: summary.offeredRatePerS,
      offeredVsTarget: Number((summary.offeredRatePerS / summary.targetRatePerS).toFixed(4)),
      offered: summary.offered,
      sent: summary.sent,
      acked: summary.acked,
      failed: summary.failed,
      failedBy: summary.failedBy,
      brokerReceived: stats.publishes,
      // CPU of this process while sending (from the first progress report to the end), in cores.
      simulatorCpuCores: Number(((runCpu.user + runCpu.system) / 1000 / runWallMs).toFixed(2)),
      loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
      connected: summary.connected,
      simulatorPeakRssMiB: Number(mib(summary.peakRssBytes)),
      simulatorRssFirstHalfPeakMiB: Number(mib(firstHalfPeak)),
      simulatorRssSecondHalfPeakMiB: Number(mib(secondHalfPeak)),
      brokerRssMiB: Number(mib(stats.rssBytes)),
    },
    null,
    2,
  ),
);
