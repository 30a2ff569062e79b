/**
 * Diagnostic for `npm run bench:edge` only, never a product mode: the gateway's broker side
 * (auth, ACL, ingest, rules) exactly as the product runs it, but with an in-memory sink in
 * place of the durable outbox and no forwarder. Comparing it with the full gateway shows
 * what durability and forwarding cost. Prints `ready <port>`; exits on SIGTERM.
 *
 * argv: <registry file>
 */
import { type AlertEvent, type Reading, systemClock } from '@edgeflow/shared';
import pino from 'pino';
import { Registry } from 'prom-client';
import { gatewayConfigFrom } from '../src/config.ts';
import { type GatewayOutbox, startGateway } from '../src/gateway.ts';
import type { UnsequencedReading } from '../src/ingest/types.ts';

/** Numbers readings and acknowledges on the next turn; keeps nothing. */
class MemorySink implements GatewayOutbox {
  #nextSeq = 0;
  appendReadings(readings: readonly UnsequencedReading[], onDurable: (err: Error | null) => void): Reading[] {
    const out = readings.map((r) => ({ ...r, seq: this.#nextSeq++ }));
    setImmediate(onDurable, null);
    return out;
  }
  appendAlert(_alert: AlertEvent, onDurable: (err: Error | null) => void): void {
    setImmediate(onDurable, null);
  }
  stats() {
    return { records: 0, bytes: 0, oldestAgeMs: 0, evictedReadings: 0, nextSeq: this.#nextSeq };
  }
}

const config = gatewayConfigFrom({
  gatewayId: 'bench-broker-only',
  logLevel: 'warn',
  registryFile: process.argv[2],
  mqtt: { host: '127.0.0.1', port: 0 },
  http: { host: '127.0.0.1', port: 0 },
});
const gateway = await startGateway(config, {
  outbox: new MemorySink(),
  clock: systemClock,
  logger: pino({ level: 'warn' }),
  registry: new Registry(),
});
process.stdout.write(`ready ${gateway.mqtt?.port}\n`);
process.on('SIGTERM', () => {
  gateway.stop().then(() => process.exit(0));
});
