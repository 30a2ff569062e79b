import { encodeBatch, type Reading } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { transitionKey, transitionValue } from '../../bench/alert-latency.ts';
import { alertStages } from '../../bench/alert-stages.ts';
import { parseEdgeBench, parseRows, rowValue } from '../../bench/child-bench.ts';
import { sizeFigures, standardMixFigures } from '../../bench/codec-figures.ts';
import { batchIdOf, parsePersistedLine } from '../../bench/tap.ts';

describe('bench:ingest rows', () => {
  it('reads label / value pairs from its table and skips everything else', () => {
    const rows = parseRows([
      'ingest bench: 10 batches x 12000 readings (standard mix, 60 s linger)',
      'metric                                              value  target',
      'readings/s end to end (emulators included)          41234  -',
      'CPU us/reading: decode+validate+enrich+bucket       1.234  <= 5',
      'Firestore writes/reading                           0.0175  <= 0.02',
      '  writes per 12000-reading batch                    210.0  <= 240',
    ]);
    expect(rowValue(rows, 'CPU us/reading')).toBe(1.234);
    expect(rowValue(rows, 'Firestore writes/reading')).toBe(0.0175);
    expect(rowValue(rows, 'readings/s end to end')).toBe(41234);
    expect(rowValue(rows, 'writes per 12000-reading batch')).toBe(210);
    expect(rowValue(rows, 'metric')).toBeUndefined();
    expect(rowValue(rows, 'cold start')).toBeUndefined();
  });
});

describe('ingest log lines', () => {
  it('takes documents written and time from a "batch persisted" record', () => {
    const line = JSON.stringify({
      severity: 'INFO',
      timestamp: '2026-11-23T12:00:00.250Z',
      batchId: 'demo-gw1:1-12000',
      readings: 12000,
      buckets: 200,
      shards: 4,
      message: 'batch persisted',
    });
    expect(parsePersistedLine(line)).toEqual({
      batchId: 'demo-gw1:1-12000',
      readings: 12000,
      documentWrites: 204,
      documentReads: 4,
      persistedAtMs: Date.parse('2026-11-23T12:00:00.250Z'),
    });
  });

  it('ignores other lines, broken JSON included', () => {
    expect(parsePersistedLine('{"message":"ingest failed"}')).toBeUndefined();
    expect(parsePersistedLine('batch persisted {')).toBeUndefined();
    expect(parsePersistedLine('plain text')).toBeUndefined();
  });

  it('names a batch as ingest does: gateway, lowest and highest seq of readings and alerts', () => {
    const r = (seq: number): Reading => ({
      deviceId: 'd1',
      metric: 'co2',
      tsMs: 1_800_000_000_000,
      value: 1,
      seq,
    });
    expect(batchIdOf('gw', [r(7), r(3), r(9)], [])).toBe('gw:3-9');
    expect(batchIdOf('gw', [], [])).toBe('gw:0-0');
  });
});

describe('size figures', () => {
  it('divides bytes by readings and bills each message at least the minimum', () => {
    const readings: Reading[] = Array.from({ length: 100 }, (_, i) => ({
      deviceId: 'sensor-1',
      metric: 'co2',
      tsMs: 1_800_000_000_000 + i * 1000,
      value: 400 + i,
      seq: i + 1,
    }));
    const bytes = encodeBatch({
      gatewayId: 'gw-test',
      createdAtMs: 1_800_000_100_000,
      readings,
      alerts: [],
    }).length;
    const f = sizeFigures('gw-test', readings, [bytes], 1000);
    expect(f.bytesPerReading).toBeCloseTo(bytes / 100, 12);
    expect(f.billedBytesPerReading).toBeCloseTo(Math.max(1000, bytes) / 100, 12);
    // Each JSON message is far below 1000 B, so each one is billed as 1000 B.
    expect(f.jsonBilledBytesPerReading).toBe(1000);
    expect(f.jsonBytesPerReading).toBeGreaterThan(50);
  });

  it('the standard mix at the default linger meets the 6 B target', () => {
    const f = standardMixFigures(60, 1, 1000);
    expect(f.readings).toBe(12_000);
    expect(f.bytesPerReading).toBeLessThanOrEqual(6);
  });
});

describe('alert episode values', () => {
  it('alternate raise above 30 and clear below 29, all distinct for 900 episodes', () => {
    const keys = new Set<string>();
    for (let k = 0; k < 1800; k++) {
      const { kind, value } = transitionValue(k);
      expect(kind).toBe(k % 2 === 0 ? 'raised' : 'cleared');
      if (kind === 'raised') expect(value).toBeGreaterThan(30);
      else expect(value).toBeLessThan(29);
      expect(Number(value.toFixed(2))).toBe(value);
      keys.add(transitionKey('d', kind, value));
    }
    expect(keys.size).toBe(1800);
  });
});

describe('alert stages', () => {
  it('splits each matched transition at the uplink publish and the ingest log, medians per stage', () => {
    const key = (d: string, k: string, v: number) => transitionKey(d, k, v);
    const alert = (value: number, seq: number) =>
      ({
        alertId: `a${seq}`,
        kind: 'raised',
        deviceId: 'dev-1',
        metric: 'temperature',
        ruleId: 'bench-hot',
        ruleKind: 'threshold',
        severity: 'warning',
        value,
        tsMs: 1_800_000_000_000,
        seq,
        source: 'edge',
        message: 'hot',
      }) as const;
    const batches = [
      {
        batchId: 'gw:1-1',
        gatewayId: 'gw',
        bytes: 300,
        readings: [],
        alerts: [alert(31, 1)],
        publishTimeMs: 1_010,
      },
      {
        batchId: 'gw:2-2',
        gatewayId: 'gw',
        bytes: 300,
        readings: [],
        alerts: [alert(32, 2)],
        publishTimeMs: 2_030,
      },
      {
        batchId: 'gw:3-3',
        gatewayId: 'gw',
        bytes: 300,
        readings: [],
        alerts: [alert(33, 3)],
        publishTimeMs: 3_000,
      },
    ];
    const persisted = new Map([
      [
        'gw:1-1',
        { batchId: 'gw:1-1', readings: 0, documentWrites: 0, documentReads: 0, persistedAtMs: 1_110 },
      ],
      [
        'gw:2-2',
        { batchId: 'gw:2-2', readings: 0, documentWrites: 0, documentReads: 0, persistedAtMs: 2_230 },
      ],
    ]);
    const sent = new Map([
      [key('dev-1', 'raised', 31), 1_000],
      [key('dev-1', 'raised', 32), 2_000],
      [key('dev-1', 'raised', 33), 2_990],
    ]);
    const seen = new Map([
      [key('dev-1', 'raised', 31), 1_150],
      [key('dev-1', 'raised', 32), 2_330],
      [key('dev-1', 'raised', 33), 3_500],
    ]);
    // The third batch was never persisted: it is left out, not counted as zero.
    expect(alertStages(sent, seen, batches, persisted, key)).toEqual({
      matched: 2,
      toUplinkMs: 10,
      uplinkToIngestedMs: 100,
      ingestedToRecordMs: 40,
    });
    expect(alertStages(new Map(), seen, batches, persisted, key)).toBeUndefined();
  });
});

describe('bench:edge summary', () => {
  it('reads rates, ratio, alert latency and RSS from its summary lines', () => {
    // The order bench:edge prints them in: the steady 10k/s phase first, then full speed.
    const lines = [
      '    alert latency       p50 0.91 ms  p99 3.42 ms  max 7.10 ms   target p99 <= 5 ms  (1000 alerts, 9987 readings/s offered, window-full ticks 0)',
      '    gateway RSS         98.4 MB max at 10k/s (idle 70.2 MB)   target <= 120 MB',
      'round 1: (a) raw aedes  45000/s   (b) gateway  40000/s   ratio 0.89   [broker side only 46000/s, 1.02; CPU µs/reading raw 6.1, gateway 6.9]',
      '(a) raw aedes        median   46012 readings/s',
      '(b) gateway          median   39870 readings/s',
      '    ratio (b)/(a)    median 0.87 of 3 rounds   target >= 0.80',
      '    gateway RSS after the full-speed rounds 110.0 MB (peak 131.5 MB)',
    ];
    expect(parseEdgeBench(lines)).toEqual({
      rawPerSecond: 46012,
      gatewayPerSecond: 39870,
      ratio: 0.87,
      alertP50Ms: 0.91,
      alertP99Ms: 3.42,
      alertSamples: 1000,
      alertRatePerSecond: 9987,
      rssMiB: 98.4,
      peakRssMiB: 131.5,
    });
  });

  it('leaves out what it did not print', () => {
    expect(parseEdgeBench(['starting...', 'error: emulator did not start'])).toEqual({});
  });
});
