/**
 * `npm exec -- node edge/bench/packet-guard.ts`: the packet guard's cost on the parser's hot
 * path, in isolation (bench:edge's limits round measures it end to end). Parses the same
 * stream of QoS 1 PUBLISH packets (a reading-sized payload, 64 KiB reads) with a plain
 * mqtt-packet parser and with a guarded one, in alternating rounds, and prints ns per packet
 * for both (CPU time of this process). Bounded: BENCH_PACKETS (default 200000) packets per
 * round, BENCH_ROUNDS (5).
 */
import { cpus, loadavg } from 'node:os';
import type { Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { createPacketGuard, derivedMaxPacketBytes } from '../src/broker/limits/packet-guard.ts';

const PACKETS = Number(process.env.BENCH_PACKETS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const one = mqttPacket.generate({
  cmd: 'publish',
  topic: 'sensors/bench-00/temperature',
  payload: Buffer.from('{"v":21.5,"t":1764720000000}'),
  qos: 1,
  messageId: 42,
  dup: false,
  retain: false,
});
const perRead = Math.floor((64 * 1024) / one.length);
const read = Buffer.concat(Array.from({ length: perRead }, () => one));
const reads = Math.ceil(PACKETS / perRead);

const guard = createPacketGuard(
  { maxConnectPacketBytes: 4096, maxPacketBytes: derivedMaxPacketBytes(4096) },
  { onOversize: () => undefined },
);

function parser(guarded: boolean) {
  const p = mqttPacket.parser() as ReturnType<typeof mqttPacket.parser> & { client?: unknown };
  const client = { connected: true, _parser: p, conn: { destroy: () => undefined } };
  p.client = client;
  if (guarded) guard.install(client as unknown as Client);
  let count = 0;
  p.on('packet', () => {
    count++;
  });
  return { p, count: () => count };
}

function run(guarded: boolean): number {
  const { p, count } = parser(guarded);
  // CPU time, not wall time: on a shared box the wall clock mostly measures the other load.
  const started = process.cpuUsage();
  for (let i = 0; i < reads; i++) p.parse(read);
  const used = process.cpuUsage(started);
  const ns = (used.user + used.system) * 1000;
  if (count() !== reads * perRead) throw new Error(`parsed ${count()} of ${reads * perRead}`);
  return ns / count();
}

run(false);
run(true);
const plain: number[] = [];
const guarded: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    plain.push(run(false));
    guarded.push(run(true));
  } else {
    guarded.push(run(true));
    plain.push(run(false));
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
process.stdout.write(
  `packet guard: ${reads * perRead} PUBLISH of ${one.length} B per round, ${ROUNDS} rounds; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs\n` +
    `  plain parser   median ${median(plain).toFixed(1)} ns/packet CPU (${plain.map((n) => n.toFixed(0)).join(' ')})\n` +
    `  guarded parser median ${median(guarded).toFixed(1)} ns/packet CPU (${guarded.map((n) => n.toFixed(0)).join(' ')})\n` +
    `  difference     ${(median(guarded) - median(plain)).toFixed(1)} ns/packet (${(((median(guarded) - median(plain)) / median(plain)) * 100).toFixed(1)}%)\n`,
);
