import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deadLetterDoc,
  deadLetterId,
  MAX_STORED_PAYLOAD_BYTES,
  shortResourceName,
} from '../../../src/functions/triage/dead-letter.ts';

const base = {
  source: 'ingest' as const,
  messageId: '42',
  sourceTopic: 'edgeflow-telemetry',
  subscription: 'edgeflow-telemetry-ingest',
  deliveryAttempt: 5,
  code: 'EDGEFLOW_CODEC_MALFORMED',
  reason: 'bad bytes',
  attributes: { schema: 'edgeflow.telemetry' },
  data: new Uint8Array([1, 2, 3]),
  publishTimeMs: null,
  recordedAtMs: 1_700_000_000_000,
};

describe('deadLetterDoc', () => {
  it('builds the shared shape with fresh replay bookkeeping', () => {
    const { id, doc } = deadLetterDoc(base);
    expect(id).toBe('ingest-42');
    expect(doc).toMatchObject({
      source: 'ingest',
      messageId: '42',
      sourceTopic: 'edgeflow-telemetry',
      code: 'EDGEFLOW_CODEC_MALFORMED',
      dataBytes: 3,
      truncated: false,
      publishTime: null,
      state: 'open',
      replayCount: 0,
      replayedAt: null,
    });
    expect(doc.recordedAt.toMillis()).toBe(1_700_000_000_000);
    expect(Buffer.isBuffer(doc.data)).toBe(true);
    expect([...doc.data]).toEqual([1, 2, 3]);
  });

  it('cuts payloads that would not fit a Firestore document and flags them', () => {
    const { doc } = deadLetterDoc({ ...base, data: new Uint8Array(MAX_STORED_PAYLOAD_BYTES + 10) });
    expect(doc.data.byteLength).toBe(MAX_STORED_PAYLOAD_BYTES);
    expect(doc.dataBytes).toBe(MAX_STORED_PAYLOAD_BYTES + 10);
    expect(doc.truncated).toBe(true);
  });

  it('always yields a valid Firestore document id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (messageId) => {
        const id = deadLetterId('triage', messageId);
        expect(id).toMatch(/^triage-[A-Za-z0-9_-]*$/);
        expect(id.length).toBeLessThanOrEqual(1500);
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
