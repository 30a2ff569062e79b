import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_MINOR, KEY } from '../../src/codec/format.ts';
import { decodeBatch, encodeBatch } from '../../src/codec/index.ts';
import { type GatewayHealth, pickGatewayHealth } from '../../src/gateway-health.ts';

const reading = { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_764_000_000_000, value: 21.5, seq: 7 };

const health: GatewayHealth = {
  reportedAtMs: 1_764_000_000_500,
  uptimeS: 3600.25,
  rssBytes: 150_000_000,
  clientsConnected: 12,
  outboxRecords: 40,
  outboxBytes: 8192,
  oldestUnsentAgeMs: 1500,
  evictedReadings: 0,
  rejectedByReason: { oversize: 2, bad_topic: 1 },
  rulesVersion: 4,
};

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Re-encodes a batch's envelope with `edit` applied, as another encoder version would write it. */
function rewrite(bytes: Uint8Array, edit: (env: Record<string, unknown>) => void): Uint8Array {
  const env = cbor.decode(bytes) as Record<string, unknown>;
  edit(env);
  return cbor.encode(env);
}

describe('gateway health in batches (format 1.1)', () => {
  it('round-trips the health map and writes the 1.1 minor', () => {
    const bytes = encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1, readings: [reading], alerts: [], health });
    const decoded = decodeBatch(bytes);
    expect(decoded.health).toEqual(health);
    expect(decoded.healthRejected).toBeUndefined();
    expect(decoded.readings).toEqual([reading]);
    expect((cbor.decode(bytes) as Record<string, unknown>)[KEY.minor]).toBe(BATCH_MINOR);
    expect(BATCH_MINOR).toBe(1);
  });

  it('decodes a 1.0 batch (no health) as before', () => {
    const bytes = rewrite(
      encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1, readings: [reading], alerts: [] }),
      (env) => {
        env[KEY.minor] = 0;
      },
    );
    const decoded = decodeBatch(bytes);
    expect(decoded.health).toBeUndefined();
    expect(decoded.healthRejected).toBeUndefined();
    expect(decoded.readings).toEqual([reading]);
  });

  it('accepts a newer minor with unknown keys and unknown health fields, as a 1.0 decoder accepts 1.1', () => {
    const bytes = rewrite(
      encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1, readings: [reading], alerts: [], health }),
      (env) => {
        env[KEY.minor] = 9;
        env.zz = { future: true };
        env[KEY.health] = { ...health, cpuPercent: 12 };
      },
    );
    const decoded = decodeBatch(bytes);
    expect(decoded.readings).toEqual([reading]);
    expect(decoded.health).toEqual(health);
  });

  it('drops an invalid health map but keeps the readings, and says so', () => {
    const bad: unknown[] = [
      'nope',
      [],
      { ...health, rssBytes: -1 },
      { ...health, rulesVersion: 1.5 },
      { ...health, rejectedByReason: { 'Bad Reason': 1 } },
      { ...health, outboxBytes: undefined },
      Object.fromEntries(Object.entries(health).filter(([k]) => k !== 'uptimeS')),
    ];
    for (const value of bad) {
      const bytes = rewrite(
        encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1, readings: [reading], alerts: [] }),
        (env) => {
          env[KEY.health] = value;
        },
      );
      const decoded = decodeBatch(bytes);
      expect(decoded.readings).toEqual([reading]);
      expect(decoded.health).toBeUndefined();
      expect(decoded.healthRejected).toBe(true);
    }
  });

  it('bounds the reasons map', () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`r${i}`, 1]));
    expect(pickGatewayHealth({ ...health, rejectedByReason: many })).toBeUndefined();
    const enough = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`r${i}`, 1]));
    expect(pickGatewayHealth({ ...health, rejectedByReason: enough })?.rejectedByReason).toEqual(enough);
  });

  it('never lets arbitrary health values break decoding of the readings', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const bytes = rewrite(
          encodeBatch({ gatewayId: 'gw-1', createdAtMs: 1, readings: [reading], alerts: [] }),
          (env) => {
            env[KEY.health] = value;
          },
        );
        const decoded = decodeBatch(bytes);
        expect(decoded.readings).toEqual([reading]);
        if (decoded.health !== undefined) expect(pickGatewayHealth(decoded.health)).toEqual(decoded.health);
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});
