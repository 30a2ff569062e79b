/**
 * One MQTT connection per simulated device (what the gateway expects: username = device id,
 * ACL confined to the device's own topics). Connects go through a gate of bounded
 * concurrency so 10k devices ramp up without a SYN flood; a lost or refused connection
 * retries with exponential backoff and full jitter; every outcome is counted, none is fatal.
 *
 * Each connection keeps its own QoS 1 in-flight window: a publish beyond it is not queued
 * (that would grow memory without bound when the broker is slow) but counted as
 * `failed.windowFull`, which is what an open-loop load generator should report.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import type { FleetCounters } from './counters.ts';

export interface DeviceCredentials {
  readonly deviceId: string;
  readonly password?: string | undefined;
}

export interface ConnectionPoolOptions {
  readonly brokerUrl: string;
  readonly devices: readonly DeviceCredentials[];
  readonly qos: 0 | 1;
  /** Max QoS 1 publishes awaiting PUBACK per connection. */
  readonly maxInFlight: number;
  /** Max bytes queued in a socket before publishes are refused (QoS 0 has no ack to bound it). */
  readonly maxBufferedBytes: number;
  /** Connection attempts in progress at once. */
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveS: number;
  readonly backoff?: BackoffOptions;
  readonly random: () => number;
  readonly counters: FleetCounters;
}

const noop = (): void => {};

interface Session {
  client: MqttClient;
  inFlight: number;
}

interface DeviceState {
  session: Session | undefined;
  connected: boolean;
  /** Consecutive failed attempts, for backoff. */
  attempts: number;
  /** Held offline by a reconnect storm until this many ms on the pool's clock (performance.now). */
  heldUntilMs: number;
  retryTimer: NodeJS.Timeout | undefined;
  queued: boolean;
}

export class ConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #states: DeviceState[];
  readonly #queue: number[] = [];
  #queueHead = 0;
  #connecting = 0;
  #connected = 0;
  #closed = false;
  readonly #onPublishDone: (session: Session, err: Error | undefined) => void;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
    this.#states = options.devices.map(() => ({
      session: undefined,
      connected: false,
      attempts: 0,
      heldUntilMs: 0,
      retryTimer: undefined,
      queued: false,
    }));
    const counters = options.counters;
    this.#onPublishDone = (session, err) => {
      session.inFlight--;
      if (err) counters.failed.publishError++;
      else counters.acked++;
    };
  }

  get connectedCount(): number {
    return this.#connected;
  }

  /** Starts connecting every device (through the gate); resolves when all are up or `timeoutMs` passed. */
  async connectAll(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < this.#states.length; i++) this.#enqueue(i);
    const deadline = performance.now() + timeoutMs;
    while (
      !this.#closed &&
      this.#connected < this.#states.length &&
      performance.now() < deadline &&
      !signal?.aborted
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Publishes for device `i`. Returns false (and counts why) when the device is offline,
   * its in-flight window is full or its socket is backed up.
   */
  publish(i: number, topic: string, payload: string | Buffer): boolean {
    const state = this.#states[i];
    const counters = this.#options.counters;
    if (!state?.connected || !state.session) {
      counters.failed.offline++;
      return false;
    }
    const session = state.session;
    if (this.#options.qos === 1 && session.inFlight >= this.#options.maxInFlight) {
      counters.failed.windowFull++;
      return false;
    }
    const stream = session.client.stream as { writableLength?: number } | undefined;
    if ((stream?.writableLength ?? 0) > this.#options.maxBufferedBytes) {
      counters.failed.backpressure++;
      return false;
    }
    session.inFlight++;
    counters.sent++;
    session.client.publish(topic, payload, { qos: this.#options.qos }, (err) =>
      this.#onPublishDone(session, err),
    );
    return true;
  }

  inFlight(i: number): number {
    return this.#states[i]?.session?.inFlight ?? 0;
  }

  /** Cuts the connections of `devices` now and keeps them down for `holdMs` (reconnect storm). */
  cut(devices: readonly number[], holdMs: number): void {
    const until = performance.now() + holdMs;
    for (const i of devices) {
      const state = this.#states[i];
      if (!state) continue;
      state.heldUntilMs = until;
      if (state.session) state.session.client.stream?.destroy();
    }
  }

  /** Closes every connection (no reconnects afterwards) and waits for the sockets to go. */
  async close(): Promise<void> {
    this.#closed = true;
    const ends: Promise<void>[] = [];
    for (const state of this.#states) {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      const session = state.session;
      if (session) ends.push(new Promise((r) => session.client.end(false, {}, () => r())));
    }
    await Promise.race([Promise.all(ends), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const state of this.#states) state.session?.client.end(true);
  }

  #enqueue(i: number): void {
    const state = this.#states[i];
    if (!state || state.queued || this.#closed) return;
    state.queued = true;
    this.#queue.push(i);
    this.#pump();
  }

  #pump(): void {
    while (this.#connecting < this.#options.connectConcurrency && this.#queueHead < this.#queue.length) {
      const i = this.#queue[this.#queueHead++] as number;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      const state = this.#states[i] as DeviceState;
      state.queued = false;
      if (this.#closed || state.connected || state.session) continue;
      this.#open(i, state);
    }
  }

  #open(i: number, state: DeviceState): void {
    const creds = this.#options.devices[i] as DeviceCredentials;
    const options: IClientOptions = {
      clientId: creds.deviceId,
      username: creds.deviceId,
      clean: true,
      keepalive: this.#options.keepaliveS,
      connectTimeout: this.#options.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt.js logs every packet through `debug`; even disabled, that costs ~4% CPU at 10k msg/s.
      log: noop,
    };
    if (creds.password !== undefined) options.password = creds.password;
    this.#connecting++;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.#connecting--;
      this.#pump();
    };
    const client = mqtt.connect(this.#options.brokerUrl, options);
    const session: Session = { client, inFlight: 0 };
    state.session = session;
    const counters = this.#options.counters;
    client.on('connect', () => {
      settle();
      counters.connects++;
      state.connected = true;
      state.attempts = 0;
      this.#connected++;
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      // CONNACK refusals carry a numeric reason code; socket errors a string code.
      if (typeof err.code === 'number') counters.refusals++;
      else counters.connectErrors++;
    });
    client.on('close', () => {
      settle();
      if (state.session !== session) return;
      if (state.connected) {
        state.connected = false;
        this.#connected--;
        // Our own close at the end of the run is not a disconnect worth reporting.
        if (!this.#closed) counters.disconnects++;
      }
      state.session = undefined;
      // Fails the callbacks of publishes still awaiting PUBACK, so their window slots free up.
      client.end(true);
      client.removeAllListeners('connect');
      this.#scheduleRetry(i, state);
    });
  }

  #scheduleRetry(i: number, state: DeviceState): void {
    if (this.#closed || state.retryTimer) return;
    state.attempts++;
    const held = Math.max(0, state.heldUntilMs - performance.now());
    const delayMs =
      held + backoffDelayMs(state.attempts, this.#options.random(), this.#options.backoff ?? DEFAULT_BACKOFF);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      this.#enqueue(i);
    }, delayMs);
  }
}
