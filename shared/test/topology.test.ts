import { describe, expect, it } from 'vitest';
import {
  type FunctionName,
  subscriptionFor,
  TelemetryAttributes,
  TOPOLOGY,
  type Topology,
} from '../src/index.ts';

const topicNames = Object.values(TOPOLOGY.topics).map((t) => t.name);

describe('TOPOLOGY', () => {
  it('has unique topic and subscription names', () => {
    expect(new Set(topicNames).size).toBe(topicNames.length);
    const subs = TOPOLOGY.subscriptions.map((s) => s.name);
    expect(new Set(subs).size).toBe(subs.length);
  });

  it('names resources within GCP grammar (letter first, 3-255 of [A-Za-z0-9-_.~+%], not goog*)', () => {
    for (const name of [...topicNames, ...TOPOLOGY.subscriptions.map((s) => s.name)]) {
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/);
      expect(name.startsWith('goog')).toBe(false);
    }
  });

  it('keeps messages between 10 minutes and 31 days (GCP limits)', () => {
    for (const t of Object.values(TOPOLOGY.topics)) {
      expect(t.messageRetentionSeconds).toBeGreaterThanOrEqual(600);
      expect(t.messageRetentionSeconds).toBeLessThanOrEqual(31 * 24 * 3600);
    }
  });

  describe.each(TOPOLOGY.subscriptions.map((s) => [s.name, s] as const))('subscription %s', (_name, sub) => {
    it('reads an existing topic', () => expect(topicNames).toContain(sub.topic));

    it('has an ack deadline of 10..600 s', () => {
      expect(sub.ackDeadlineSeconds).toBeGreaterThanOrEqual(10);
      expect(sub.ackDeadlineSeconds).toBeLessThanOrEqual(600);
    });

    it('retries with backoff within 0..600 s, minimum <= maximum', () => {
      expect(sub.retry.minimumBackoffSeconds).toBeGreaterThanOrEqual(0);
      expect(sub.retry.maximumBackoffSeconds).toBeLessThanOrEqual(600);
      expect(sub.retry.minimumBackoffSeconds).toBeLessThanOrEqual(sub.retry.maximumBackoffSeconds);
    });

    it('dead-letters to another existing topic after 5..100 attempts', () => {
      expect(sub.deadLetter).toBeDefined();
      const dl = sub.deadLetter as NonNullable<typeof sub.deadLetter>;
      expect(topicNames).toContain(dl.topic);
      expect(dl.topic).not.toBe(sub.topic);
      expect(dl.maxDeliveryAttempts).toBeGreaterThanOrEqual(5);
      expect(dl.maxDeliveryAttempts).toBeLessThanOrEqual(100);
    });
  });

  it('pushes each function from exactly one subscription', () => {
    const fns: FunctionName[] = ['ingest', 'notify', 'triage'];
    for (const fn of fns) expect(TOPOLOGY.subscriptions.filter((s) => s.pushTo === fn)).toHaveLength(1);
    expect(subscriptionFor('ingest').topic).toBe(TOPOLOGY.topics.telemetry.name);
    expect(subscriptionFor('notify').topic).toBe(TOPOLOGY.topics.alerts.name);
    expect(subscriptionFor('triage').topic).toBe(TOPOLOGY.topics.deadLetters.name);
  });

  it('routes telemetry and alerts to the dead-letter topic that triage reads, and triage elsewhere', () => {
    expect(subscriptionFor('ingest').deadLetter?.topic).toBe(TOPOLOGY.topics.deadLetters.name);
    expect(subscriptionFor('notify').deadLetter?.topic).toBe(TOPOLOGY.topics.deadLetters.name);
    expect(subscriptionFor('triage').deadLetter?.topic).toBe(TOPOLOGY.topics.triageFailures.name);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(TOPOLOGY)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.topics.telemetry)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.subscriptions)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.subscriptions[0]?.retry)).toBe(true);
    expect(() => {
      (TOPOLOGY.subscriptions as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('subscriptionFor uses the topology it is given and says which function is missing', () => {
    const empty: Topology = { ...TOPOLOGY, subscriptions: [] };
    expect(() => subscriptionFor('notify', empty)).toThrow(/notify/);
  });

  it('declares the telemetry message attributes', () => {
    expect(TelemetryAttributes).toEqual({ schema: 'edgeflow.telemetry', encoding: 'cbor' });
  });
});

describe('telemetry ordering', () => {
  it('delivers each gateway’s batches in order to ingest, so cloud rules see readings in sequence', () => {
    expect(subscriptionFor('ingest').messageOrdering).toBe(true);
  });
});
