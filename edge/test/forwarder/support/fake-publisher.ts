import { decodeBatch, type TelemetryBatch } from '@edgeflow/shared';
import type { BatchPublisher } from '../../../src/forwarder/types.ts';

export interface PublishCall {
  readonly batch: TelemetryBatch;
  readonly attributes: Record<string, string>;
  readonly atMs: number;
  resolve(id?: string): void;
  reject(err: Error): void;
}

/**
 * Records every publish. `mode`: 'ack' resolves at once, 'fail' rejects at once, 'manual'
 * leaves the call pending for the test to settle.
 */
export class FakePublisher implements BatchPublisher {
  mode: 'ack' | 'fail' | 'manual' = 'ack';
  readonly calls: PublishCall[] = [];
  readonly #now: () => number;
  #ids = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  publish(data: Uint8Array, attributes: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      const id = String(++this.#ids);
      const call: PublishCall = {
        batch: decodeBatch(data),
        attributes,
        atMs: this.#now(),
        resolve: (given) => resolve(given ?? id),
        reject,
      };
      this.calls.push(call);
      if (this.mode === 'ack') call.resolve();
      else if (this.mode === 'fail') call.reject(new Error('UNAVAILABLE: link down'));
    });
  }

  /** Calls that delivered readings (alerts-only batches excluded). */
  telemetry(): PublishCall[] {
    return this.calls.filter((c) => c.batch.readings.length > 0);
  }
}
