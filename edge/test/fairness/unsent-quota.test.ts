import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsentQuota } from '../../src/fairness/unsent-quota.ts';

/** Drives a quota like ingest + outbox do: admit per message, one append per turn. */
function harness(maxUnsentReadings: number, maxDevices = 10) {
  let nextSeq = 0;
  let frontier = 0;
  let overflows = 0;
  const quota = new UnsentQuota(
    { maxUnsentReadings, maxDevices, onOverflow: () => overflows++ },
    () => frontier,
  );
  let turn = 0;
  return {
    quota,
    /** Admits `n` readings of `deviceId` and appends them (one turn). */
    send(deviceId: string, n: number): boolean {
      const ok = quota.admit(deviceId, n);
      if (ok) turn += n;
      return ok;
    },
    endTurn() {
      if (turn === 0) return;
      nextSeq += turn;
      turn = 0;
      quota.appended(nextSeq);
    },
    ack(seq = nextSeq) {
      frontier = seq;
    },
    get nextSeq() {
      return nextSeq;
    },
    get overflows() {
      return overflows;
    },
  };
}

describe('UnsentQuota', () => {
  it('admits exactly up to the cap, counting readings of the current turn too', () => {
    const h = harness(10);
    expect(h.send('dev-a', 6)).toBe(true);
    expect(h.send('dev-a', 4)).toBe(true);
    expect(h.send('dev-a', 1)).toBe(false);
    h.endTurn();
    expect(h.quota.unsent('dev-a')).toBe(10);
    expect(h.send('dev-a', 1)).toBe(false);
    // Another device has a cap of its own.
    expect(h.send('dev-b', 10)).toBe(true);
    h.endTurn();
    // Acknowledging everything frees the cap.
    h.ack();
    expect(h.quota.unsent('dev-a')).toBe(0);
    expect(h.send('dev-a', 10)).toBe(true);
  });

  it('retires a chunk only once the frontier passes its end (never under-counts)', () => {
    const h = harness(8); // chunks of 2
    for (let i = 0; i < 4; i++) {
      expect(h.send('dev-a', 2)).toBe(true);
      h.endTurn();
    }
    expect(h.quota.unsent('dev-a')).toBe(8);
    h.ack(1); // inside the first chunk [0, 2)
    expect(h.quota.unsent('dev-a')).toBe(8);
    h.ack(2);
    expect(h.quota.unsent('dev-a')).toBe(6);
    expect(h.send('dev-a', 2)).toBe(true);
    expect(h.send('dev-a', 1)).toBe(false);
  });

  it('drops what a failed append would have added', () => {
    const h = harness(5);
    expect(h.quota.admit('dev-a', 5)).toBe(true);
    h.quota.discarded();
    expect(h.quota.unsent('dev-a')).toBe(0);
    expect(h.send('dev-a', 5)).toBe(true);
  });

  it('stays bounded: recycles an idle device, else charges the shared overflow entry (counted)', () => {
    const h = harness(4, 2);
    expect(h.send('dev-a', 4)).toBe(true);
    expect(h.send('dev-b', 1)).toBe(true);
    h.endTurn();
    expect(h.send('dev-c', 4)).toBe(true); // overflow entry
    expect(h.send('dev-d', 1)).toBe(false); // shares it
    expect(h.overflows).toBe(2);
    h.endTurn();
    h.ack();
    expect(h.send('dev-e', 4)).toBe(true); // dev-a or dev-b is idle now and recycled
    expect(h.overflows).toBe(2);
  });

  it('never lets a device hold more than the cap unsent, with any interleaving of sends and acks (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.oneof(
            fc.record({ send: fc.constantFrom('dev-a', 'dev-b'), n: fc.integer({ min: 1, max: 6 }) }),
            fc.record({ endTurn: fc.constant(true) }),
            fc.record({ ackFraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
          ),
          { maxLength: 300 },
        ),
        (cap, ops) => {
          const h = harness(cap);
          // seq -> device of every appended reading, to count the truth.
          const owner: string[] = [];
          let turn: string[] = [];
          let acked = 0;
          for (const op of ops) {
            if ('send' in op) {
              if (h.send(op.send, op.n)) for (let i = 0; i < op.n; i++) turn.push(op.send);
            } else if ('endTurn' in op) {
              owner.push(...turn);
              turn = [];
              h.endTurn();
            } else {
              acked = Math.max(acked, Math.floor(h.nextSeq * op.ackFraction));
              h.ack(acked);
            }
            for (const d of ['dev-a', 'dev-b']) {
              const truth =
                owner.slice(acked).filter((o) => o === d).length + turn.filter((o) => o === d).length;
              expect(truth).toBeLessThanOrEqual(cap);
              expect(h.quota.unsent(d)).toBeGreaterThanOrEqual(truth);
            }
          }
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });
});
