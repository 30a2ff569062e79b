import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../src/console/render.ts';
import { ConsoleState } from '../../src/console/state.ts';

const counters = (accepted: number, sent: number) => ({
  edgeflow_gateway_readings_accepted_total: accepted,
  edgeflow_forwarder_readings_sent_total: sent,
});

describe('console rates', () => {
  it('averages over a few seconds, so batches sent every 2 s read as a steady rate', () => {
    let now = 0;
    const state = new ConsoleState(() => now);
    const seen: number[] = [];
    for (let i = 0; i <= 10; i++) {
      now = i * 1000;
      // 20 readings/s in; the forwarder ships them every other second.
      state.onCounters(counters(i * 20, Math.floor(i / 2) * 40));
      if (i >= 5) seen.push(state.outPerS);
    }
    expect(state.inPerS).toBe(20);
    for (const r of seen) expect(r).toBeGreaterThanOrEqual(16);
  });

  it('shows each transition once, tagged with where it was seen first', () => {
    let now = 0;
    const state = new ConsoleState(() => now);
    const event = {
      alertId: 'd1.temperature.temperature-high.1',
      kind: 'raised' as const,
      deviceId: 'd1',
      metric: 'temperature',
      ruleId: 'temperature-high',
      ruleKind: 'threshold' as const,
      severity: 'warning' as const,
      value: 31,
      tsMs: 1,
      seq: 1,
      source: 'edge' as const,
      message: 'hot',
    };
    state.onEdgeAlert(event);
    now = 100;
    state.onCloudAlert({ ...event, state: 'open', raisedAtMs: 1, clearedAtMs: null });
    expect(state.lines.map((l) => `${l.kind}@${l.where}`)).toEqual(['raised@edge']);
  });

  it('shows an operator acknowledging and resolving an alert once each, from the cloud record', () => {
    let now = 0;
    const state = new ConsoleState(() => now);
    const record = {
      alertId: 'd1.temperature.temperature-high.1',
      deviceId: 'd1',
      metric: 'temperature',
      ruleId: 'temperature-high',
      severity: 'warning',
      value: 31,
      source: 'cloud',
      raisedAtMs: 1,
      clearedAtMs: null,
    };
    state.onCloudAlert({ ...record, state: 'open' });
    now = 10;
    state.onCloudAlert({ ...record, state: 'acknowledged' });
    state.onCloudAlert({ ...record, state: 'acknowledged' });
    now = 20;
    state.onCloudAlert({ ...record, state: 'resolved', clearedAtMs: 15 });
    expect(state.lines.map((l) => `${l.kind}@${l.where}`)).toEqual([
      'raised@cloud',
      'acknowledged@cloud',
      'cleared@cloud',
      'resolved@cloud',
    ]);
    expect(renderAlert(state.lines[1]!, state.startedAtMs)).toContain('ACKED');
    expect(renderAlert(state.lines[1]!, state.startedAtMs)).toContain('by an operator');
  });
});
