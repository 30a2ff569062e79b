/**
 * Bad input, made deterministically from a seed: device payloads that are not readings
 * (random bytes, broken JSON, wrong types, non-finite numbers) and telemetry batches that are
 * not batches (random bytes, a valid envelope claiming an unknown major version).
 */
import { BATCH_MAJOR, encodeBatch, type TelemetryBatch } from '@edgeflow/shared';
import mqtt from 'mqtt';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function randomBytes(rand: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

export interface GarbageMessage {
  /** Metric segment of `sensors/<deviceId>/<metric>`. */
  readonly metric: string;
  readonly payload: Buffer;
  /** The gateway's reject reason this message must be counted under. */
  readonly reason: 'unparsable' | 'out_of_range' | 'future_ts' | 'past_ts' | 'bad_metric';
}

/** `count` messages cycling through the malformed shapes a broken device sends. */
export function garbageMessages(seed: number, count: number, nowMs: number): GarbageMessage[] {
  const rand = prng(seed);
  const day = 86_400_000;
  const shapes: (() => GarbageMessage)[] = [
    () => ({
      metric: 'temperature',
      payload: randomBytes(rand, 1 + Math.floor(rand() * 200)),
      reason: 'unparsable',
    }),
    () => ({
      metric: 'temperature',
      payload: Buffer.from(`{"v":${(rand() * 100).toFixed(2)},"t":`),
      reason: 'unparsable',
    }),
    () => ({
      metric: 'temperature',
      payload: Buffer.from(`{"v":"${(rand() * 100).toFixed(2)}"}`),
      reason: 'unparsable',
    }),
    () => ({ metric: 'temperature', payload: Buffer.from('warm'), reason: 'unparsable' }),
    () => ({ metric: 'temperature', payload: Buffer.from(`{"v":${1e6 + rand()}}`), reason: 'out_of_range' }),
    () => ({
      metric: 'temperature',
      payload: Buffer.from(`{"v":21,"t":${nowMs + 30 * day}}`),
      reason: 'future_ts',
    }),
    () => ({
      metric: 'temperature',
      payload: Buffer.from(`{"v":21,"t":${nowMs - 60 * day}}`),
      reason: 'past_ts',
    }),
    () => ({ metric: 'Bad-Metric', payload: Buffer.from('21.5'), reason: 'bad_metric' }),
  ];
  return Array.from({ length: count }, (_, i) => (shapes[i % shapes.length] as () => GarbageMessage)());
}

/** Expected reject counts by reason for `messages`. */
export function expectedReasons(messages: readonly GarbageMessage[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of messages) out[m.reason] = (out[m.reason] ?? 0) + 1;
  return out;
}

/**
 * Publishes each message at QoS 1 as `deviceId`; the gateway may answer with a PUBACK or
 * drop the connection (reconnected, bounded). Returns how many were sent.
 */
export async function publishGarbage(
  brokerUrl: string,
  device: { deviceId: string; password: string },
  messages: readonly GarbageMessage[],
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let sent = 0;
  while (sent < messages.length) {
    if (Date.now() > deadline)
      throw new Error(`garbage publisher sent ${sent}/${messages.length} in ${timeoutMs} ms`);
    const client = await mqtt
      .connectAsync(brokerUrl, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: device.password,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      })
      .catch(() => undefined);
    if (!client) continue;
    try {
      while (sent < messages.length && client.connected) {
        const m = messages[sent] as GarbageMessage;
        await client.publishAsync(`sensors/${device.deviceId}/${m.metric}`, m.payload, { qos: 1 });
        sent += 1;
      }
    } catch {
      // Dropped mid-publish: count this one as sent (it reached the gateway) and reconnect.
      sent += 1;
    } finally {
      await client.endAsync(true).catch(() => undefined);
    }
  }
  return sent;
}

/** A valid batch's bytes with its major version replaced by `major` (the envelope's `V` key). */
export function withMajorVersion(batch: TelemetryBatch, major: number): Buffer {
  const bytes = Buffer.from(encodeBatch(batch));
  // CBOR: text key "V" is 0x61 0x56, then the small uint major (< 24) in one byte; the
  // encoder writes it first in the envelope, so the first match is the key.
  const at = bytes.indexOf(Buffer.from([0x61, 0x56, BATCH_MAJOR]));
  if (at < 0 || major < 0 || major > 23) throw new Error('cannot find the major version in the envelope');
  bytes[at + 2] = major;
  return bytes;
}
