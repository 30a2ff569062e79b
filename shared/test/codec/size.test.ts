import { isNativeAccelerationEnabled } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { standardMix } from '../../bench/standard-mix.ts';
import { decodeBatch, encodeBatch } from '../../src/codec/index.ts';
import { METRIC_CATALOG, quantize } from '../../src/metrics.ts';

describe('encoded size of the standard mix', () => {
  // 50 devices x 4 metrics x 5 s at 1 Hz: the standard mix.
  for (const seed of [1, 2, 3]) {
    it(`is at most 6 bytes per reading and lossless at the declared resolution (seed ${seed})`, () => {
      const readings = standardMix({ seed });
      expect(readings).toHaveLength(1000);
      const bytes = encodeBatch({
        gatewayId: 'gw-site-001',
        createdAtMs: readings.at(-1)!.tsMs + 100,
        readings,
        alerts: [],
      });
      expect(bytes.length / readings.length).toBeLessThanOrEqual(6);
      const decoded = decodeBatch(bytes).readings;
      expect(decoded).toEqual(
        readings.map((r) => ({ ...r, value: quantize(r.value, METRIC_CATALOG[r.metric]!.decimals) })),
      );
    });
  }

  it('gets cheaper per reading as series get longer (one minute of the same fleet)', () => {
    const readings = standardMix({ seconds: 60 });
    const bytes = encodeBatch({
      gatewayId: 'gw-site-001',
      createdAtMs: readings.at(-1)!.tsMs,
      readings,
      alerts: [],
    });
    expect(bytes.length / readings.length).toBeLessThan(4);
  });
});

describe('cbor-x under the project Node', () => {
  it('loads the native string extractor (cbor-extract), so envelope decoding takes the fast path', () => {
    expect(isNativeAccelerationEnabled).toBe(true);
  });
});
