import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deadLetterDoc,
  deadLetterId,
  MAX_STORED_PAYLOAD_BYTES,
  shortResourceName,
} from '../../../src/functions/triage/dead-letter.ts';

const base = {
  messageId: '42',
  sourceTopic: 'edgeflow-telemetry',
  sourceSubscription: 'edgeflow-telemetry-ingest',
  deliveryAttempts: 5,
  reason: 'bad bytes',
  attributes: { schema: 'edgeflow.telemetry' },
  payload: new Uint8Array([1, 2, 3]),
  recordedBy: 'ingest' as const,
  receivedAtMs: 1_700_000_000_000,
};

describe('deadLetterDoc', () => {
  it('builds the shared shape with fresh replay bookkeeping', () => {
    const { id, doc } = deadLetterDoc(base);
    expect(id).toBe('ingest~42');
    expect(doc).toMatchObject({
      messageId: '42',
      sourceTopic: 'edgeflow-telemetry',
      reasonCode: null,
      payloadBytes: 3,
      payloadTruncated: false,
      publishTime: null,
      replayCount: 0,
      replayedAtMs: null,
    });
    expect(Buffer.isBuffer(doc.payload)).toBe(true);
    expect([...doc.payload]).toEqual([1, 2, 3]);
  });

  it('cuts payloads that would not fit a Firestore document and flags them', () => {
    const { doc } = deadLetterDoc({ ...base, payload: new Uint8Array(MAX_STORED_PAYLOAD_BYTES + 10) });
    expect(doc.payload.byteLength).toBe(MAX_STORED_PAYLOAD_BYTES);
    expect(doc.payloadBytes).toBe(MAX_STORED_PAYLOAD_BYTES + 10);
    expect(doc.payloadTruncated).toBe(true);
  });

  it('always yields a valid Firestore document id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (messageId) => {
        const id = deadLetterId('triage', messageId);
        expect(id).not.toContain('/');
        expect(id.length).toBeLessThanOrEqual(1500);
        expect(id.startsWith('triage~')).toBe(true);
      }),
      { seed: 4 },
    );
  });

  it('shortens resource names', () => {
    expect(shortResourceName('projects/p/subscriptions/s1')).toBe('s1');
    expect(shortResourceName('t')).toBe('t');
    expect(shortResourceName(undefined)).toBeNull();
  });
});
