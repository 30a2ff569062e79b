import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AlertEvent, type Clock, ManualClock } from '@edgeflow/shared';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import {
  type DurableOutbox,
  type OutboxConfig,
  OutboxConfigSchema,
  openOutbox,
} from '../../src/outbox/index.ts';
import type { UnsequencedReading } from '../../src/outbox/types.ts';

export const T0 = 1_767_225_600_000; // 2026-01-01

export async function tempDir(
  prefix = 'edgeflow-outbox-',
): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function outboxConfig(dir: string, overrides: Partial<OutboxConfig> = {}): OutboxConfig {
  return Value.Default(OutboxConfigSchema, { dir, ...overrides }) as OutboxConfig;
}

export interface Opened {
  readonly outbox: DurableOutbox;
  readonly registry: prom.Registry;
}

export async function open(
  dir: string,
  overrides: Partial<OutboxConfig> = {},
  clock: Clock = new ManualClock(T0),
): Promise<Opened> {
  const registry = new prom.Registry();
  const outbox = await openOutbox(outboxConfig(dir, overrides), {
    clock,
    logger: pino({ level: 'silent' }),
    registry,
  });
  return { outbox, registry };
}

export function reading(i: number, deviceId = 'dev-1'): UnsequencedReading {
  return { deviceId, metric: 'temperature', tsMs: T0 + i * 1000, value: Math.round(i * 7) / 100 };
}

export function alert(i: number): AlertEvent {
  return {
    alertId: `a-${i}`,
    kind: i % 2 === 0 ? 'raised' : 'cleared',
    deviceId: 'dev-1',
    metric: 'temperature',
    ruleId: 'too-hot',
    ruleKind: 'threshold',
    severity: 'critical',
    value: 40 + i,
    tsMs: T0 + i,
    seq: i,
    source: 'edge',
    message: `alert ${i}`,
  };
}

/** Appends and resolves once durable. */
export function appendDurable(outbox: DurableOutbox, readings: UnsequencedReading[]) {
  return new Promise<ReturnType<DurableOutbox['appendReadings']>>((resolve, reject) => {
    const out = outbox.appendReadings(readings, (err) => (err ? reject(err) : resolve(out)));
  });
}

export function appendAlertDurable(outbox: DurableOutbox, a: AlertEvent) {
  return new Promise<void>((resolve, reject) =>
    outbox.appendAlert(a, (err) => (err ? reject(err) : resolve())),
  );
}

/** Every durable reading from `fromSeq`, flattened. */
export async function readAll(outbox: DurableOutbox, fromSeq = 0) {
  const out = [];
  let seq = fromSeq;
  for (;;) {
    const records = await outbox.reader.readReadings(seq, 10_000);
    if (records.length === 0) return out;
    for (const r of records) {
      out.push(...r.readings);
      seq = r.firstSeq + r.readings.length;
    }
  }
}

export async function counterValue(registry: prom.Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  return data.values.reduce((sum, v) => sum + v.value, 0);
}
