import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FunctionName,
  GATEWAY_ID_PATTERN,
  gatewayOfTelemetryTopic,
  isEdgeflowError,
  PUSH_POLICIES,
  SHARED_TOPICS,
  subscriptionFor,
  TelemetryAttributes,
  type Topology,
  telemetryRoute,
  telemetrySubscriptionName,
  telemetryTopicName,
  topicOfSubscription,
  topicsOf,
  topologyFor,
} from '../src/index.ts';

const TOPOLOGY = topologyFor(['gw-a', 'gw-b', 'gw-ingest']);
const topicNames = topicsOf(TOPOLOGY).map((t) => t.name);
const gatewayIds = fc.stringMatching(new RegExp(GATEWAY_ID_PATTERN));

describe('topologyFor', () => {
  it('has unique topic and subscription names', () => {
    expect(new Set(topicNames).size).toBe(topicNames.length);
    const subs = TOPOLOGY.subscriptions.map((s) => s.name);
    expect(new Set(subs).size).toBe(subs.length);
  });

  it('names resources within GCP grammar (letter first, 3-255 of [A-Za-z0-9-_.~+%], not goog*)', () => {
    fc.assert(
      fc.property(gatewayIds, (id) => {
        for (const name of [telemetryTopicName(id), telemetrySubscriptionName(id)]) {
          expect(name).toMatch(/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/);
          expect(name.startsWith('goog')).toBe(false);
        }
      }),
    );
    for (const name of [...topicNames, ...TOPOLOGY.subscriptions.map((s) => s.name)]) {
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/);
    }
  });

  it('keeps messages between 10 minutes and 31 days (GCP limits)', () => {
    for (const t of topicsOf(TOPOLOGY)) {
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

    it('follows the push policy of its function', () => {
      const { name: _n, topic: _t, ...policy } = sub;
      expect(policy).toEqual(PUSH_POLICIES[sub.pushTo]);
    });
  });

  it('gives each gateway its own telemetry topic and push subscription to ingest, and no other', () => {
    expect(TOPOLOGY.telemetry.map((t) => t.gatewayId)).toEqual(['gw-a', 'gw-b', 'gw-ingest']);
    for (const route of TOPOLOGY.telemetry) {
      expect(route.topic.name).toBe(`edgeflow-telemetry-${route.gatewayId}`);
      expect(route.subscription).toMatchObject({
        name: `edgeflow-telemetry-${route.gatewayId}-ingest`,
        topic: route.topic.name,
        pushTo: 'ingest',
      });
      expect(TOPOLOGY.subscriptions.filter((s) => s.topic === route.topic.name)).toEqual([
        route.subscription,
      ]);
    }
    const ingest = TOPOLOGY.subscriptions.filter((s) => s.pushTo === 'ingest');
    expect(ingest.map((s) => s.topic).sort()).toEqual(TOPOLOGY.telemetry.map((t) => t.topic.name).sort());
  });

  it('has no telemetry topic shared by gateways: the shared topics are not telemetry topics', () => {
    for (const t of Object.values(SHARED_TOPICS)) expect(gatewayOfTelemetryTopic(t.name)).toBeUndefined();
    expect(topicNames).not.toContain('edgeflow-telemetry');
    expect(topicsOf(topologyFor([])).map((t) => t.name)).toEqual(
      Object.values(SHARED_TOPICS).map((t) => t.name),
    );
  });

  it('pushes notify and triage from exactly one subscription each', () => {
    const fns: FunctionName[] = ['notify', 'triage'];
    for (const fn of fns) expect(TOPOLOGY.subscriptions.filter((s) => s.pushTo === fn)).toHaveLength(1);
    expect(subscriptionFor('notify', TOPOLOGY).topic).toBe(SHARED_TOPICS.alerts.name);
    expect(subscriptionFor('triage', TOPOLOGY).topic).toBe(SHARED_TOPICS.deadLetters.name);
    expect(subscriptionFor('ingest', topologyFor(['gw-a'])).name).toBe('edgeflow-telemetry-gw-a-ingest');
    expect(() => subscriptionFor('ingest', TOPOLOGY)).toThrow(/3 subscriptions pushing to ingest/);
  });

  it('routes telemetry and alerts to the dead-letter topic that triage reads, and triage elsewhere', () => {
    expect(PUSH_POLICIES.ingest.deadLetter?.topic).toBe(SHARED_TOPICS.deadLetters.name);
    expect(PUSH_POLICIES.notify.deadLetter?.topic).toBe(SHARED_TOPICS.deadLetters.name);
    expect(PUSH_POLICIES.triage.deadLetter?.topic).toBe(SHARED_TOPICS.triageFailures.name);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(TOPOLOGY)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.topics.alerts)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.telemetry[0]?.subscription.retry)).toBe(true);
    expect(Object.isFrozen(TOPOLOGY.subscriptions)).toBe(true);
    expect(Object.isFrozen(PUSH_POLICIES.ingest.retry)).toBe(true);
    expect(() => {
      (TOPOLOGY.subscriptions as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('rejects a bad or repeated gateway id with a coded error', () => {
    for (const ids of [['GW-A'], ['gw'], ['gw-a', 'gw-a'], ['gw-a/x']]) {
      let caught: unknown;
      try {
        topologyFor(ids);
      } catch (err) {
        caught = err;
      }
      expect(isEdgeflowError(caught, 'EDGEFLOW_VALIDATION')).toBe(true);
    }
  });

  it('subscriptionFor uses the topology it is given and says which function is missing', () => {
    const empty: Topology = { ...TOPOLOGY, subscriptions: [] };
    expect(() => subscriptionFor('notify', empty)).toThrow(/notify/);
  });

  it('builds the same route alone as inside a topology (for adding a gateway at runtime)', () => {
    expect(telemetryRoute('gw-b')).toEqual(TOPOLOGY.telemetry[1]);
  });

  it('declares the telemetry message attributes', () => {
    expect(TelemetryAttributes).toEqual({ schema: 'edgeflow.telemetry', encoding: 'cbor' });
  });
});

describe('gatewayOfTelemetryTopic', () => {
  it('is the exact inverse of telemetryTopicName', () => {
    fc.assert(
      fc.property(gatewayIds, (id) => {
        expect(gatewayOfTelemetryTopic(telemetryTopicName(id))).toBe(id);
      }),
    );
  });

  it('accepts only names that telemetryTopicName produces', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 90 }), (name) => {
        const id = gatewayOfTelemetryTopic(name);
        if (id !== undefined) expect(telemetryTopicName(id)).toBe(name);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (tail) => {
        const id = gatewayOfTelemetryTopic(`edgeflow-telemetry-${tail}`);
        if (id !== undefined) expect(id).toBe(tail);
      }),
    );
    for (const name of [
      'edgeflow-telemetry',
      'edgeflow-telemetry-',
      'edgeflow-telemetry-GW-A',
      'edgeflow-telemetry-gw',
      'projects/p/topics/edgeflow-telemetry-gw-a',
      'edgeflow-telemetry-gw-a/x',
      'xedgeflow-telemetry-gw-a',
      `edgeflow-telemetry-g${'a'.repeat(63)}`,
      SHARED_TOPICS.alerts.name,
    ]) {
      expect(gatewayOfTelemetryTopic(name)).toBeUndefined();
    }
  });

  it('finds the topic of a subscription, a gateway’s telemetry one by its name alone', () => {
    const none = topologyFor([]);
    expect(topicOfSubscription('edgeflow-alerts-notify', none)).toBe(SHARED_TOPICS.alerts.name);
    expect(topicOfSubscription('edgeflow-telemetry-gw-x-ingest', none)).toBe('edgeflow-telemetry-gw-x');
    expect(topicOfSubscription('edgeflow-telemetry-gw-ingest-ingest', none)).toBe(
      'edgeflow-telemetry-gw-ingest',
    );
    for (const name of ['edgeflow-telemetry-ingest', 'edgeflow-telemetry-GW-ingest', 'x-ingest', 'other']) {
      expect(topicOfSubscription(name, none)).toBeUndefined();
    }
    fc.assert(
      fc.property(gatewayIds, (id) => {
        expect(topicOfSubscription(telemetrySubscriptionName(id), none)).toBe(telemetryTopicName(id));
      }),
    );
  });

  it('rejects a bad gateway id when naming', () => {
    expect(() => telemetryTopicName('Bad')).toThrow(/not a gateway id/);
    expect(() => telemetrySubscriptionName('')).toThrow(/not a gateway id/);
  });
});

describe('telemetry ordering', () => {
  it('delivers each gateway’s batches in order to ingest, so cloud rules see readings in sequence', () => {
    expect(PUSH_POLICIES.ingest.messageOrdering).toBe(true);
    for (const route of TOPOLOGY.telemetry) expect(route.subscription.messageOrdering).toBe(true);
  });
});
