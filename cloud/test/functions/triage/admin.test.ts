import { encodeBatch } from '@edgeflow/shared';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { DeadLetterAdmin, describePayload } from '../../../src/functions/triage/admin.ts';
import {
  type DeadLetterDoc,
  type DeadLetterInput,
  deadLetterDoc,
} from '../../../src/functions/triage/dead-letter.ts';

// replayTopic and describePayload are pure; the clients are never touched.
const admin = new DeadLetterAdmin({ firestore: {} as Firestore, pubsub: {} as PubSub, nowMs: () => 0 });

function doc(overrides: Partial<DeadLetterInput>): DeadLetterDoc {
  return deadLetterDoc({
    source: 'triage',
    messageId: '1',
    sourceTopic: null,
    subscription: null,
    deliveryAttempt: null,
    code: 'X',
    reason: 'r',
    attributes: {},
    data: new Uint8Array(),
    publishTimeMs: null,
    recordedAtMs: 0,
    ...overrides,
  }).doc;
}

describe('DeadLetterAdmin.replayTopic', () => {
  it('uses the recorded topic, else the subscription (triage), else the recording function’s one topic', () => {
    expect(admin.replayTopic(doc({ sourceTopic: 'edgeflow-alerts' }))).toBe('edgeflow-alerts');
    expect(admin.replayTopic(doc({ subscription: 'projects/p/subscriptions/edgeflow-alerts-notify' }))).toBe(
      'edgeflow-alerts',
    );
    // Ingest reads one topic per gateway: its letters name theirs, and without one there is no guessing.
    expect(admin.replayTopic(doc({ source: 'ingest', sourceTopic: 'edgeflow-telemetry-gw-1' }))).toBe(
      'edgeflow-telemetry-gw-1',
    );
    expect(admin.replayTopic(doc({ source: 'ingest' }))).toBeUndefined();
    expect(
      admin.replayTopic(doc({ subscription: 'projects/p/subscriptions/edgeflow-telemetry-gw-1-ingest' })),
    ).toBe('edgeflow-telemetry-gw-1');
    expect(admin.replayTopic(doc({ source: 'notify' }))).toBe('edgeflow-alerts');
    expect(admin.replayTopic(doc({ subscription: 'unknown-sub' }))).toBeUndefined();
    expect(admin.replayTopic(doc({}))).toBeUndefined();
  });
});

describe('describePayload', () => {
  it('decodes the header of a telemetry batch and explains one that does not decode', () => {
    const bytes = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: 1,
      readings: [{ deviceId: 'd-1', metric: 'temperature', tsMs: 1_767_225_600_000, value: 1, seq: 7 }],
      alerts: [],
    });
    expect(describePayload(doc({ source: 'ingest', data: bytes }))).toEqual({
      header: expect.objectContaining({ gatewayId: 'gw-1', readingCount: 1, firstSeq: 7, lastSeq: 7 }),
    });
    expect(describePayload(doc({ source: 'ingest', data: new Uint8Array([0xff]) })).headerError).toMatch(
      /^EDGEFLOW_CODEC_/,
    );
    // A triage letter from a gateway's telemetry topic is telemetry too.
    expect(
      describePayload(doc({ sourceTopic: 'edgeflow-telemetry-gw-1', data: bytes })).header?.gatewayId,
    ).toBe('gw-1');
    // Not telemetry (an alert on the alerts topic): no header attempted.
    expect(describePayload(doc({ source: 'notify', sourceTopic: 'edgeflow-alerts' }))).toEqual({});
  });
});
