/**
 * Per (device, metric, rule) state, as a plain JSON object: the cloud keeps it in Firestore
 * and the gateway persists it in engine snapshots. Firestore rejects `undefined` and nested
 * arrays, so every field is always present (null when unset) and the rate window is flat.
 *
 * The layout is the same for every rule kind on purpose: `active` + `episodeStartMs` name the
 * open episode and `runStartMs` times the pending raise (inactive) or clear (active) hold. If
 * a rule id is redefined with another kind, the old state still reads sensibly: an open
 * episode clears under the new definition with its original alert id.
 */
import Type, { type Static } from 'typebox';
import type { Reading } from '../contracts.ts';
import { SequenceSchema } from '../contracts.ts';
import { compileChecker } from '../validation.ts';

/**
 * The rate window keeps at most this many buckets (each `windowMs / RATE_BUCKETS` long, holding
 * the min and max value seen in it), whatever the reading rate: memory and stored state stay
 * bounded, extremes are never lost, and the window edge is exact to within one bucket.
 */
export const RATE_BUCKETS = 32;
/** Buckets are stored flat as [key, min, max] triples; +2 for the partial buckets at both ends. */
export const RATE_WINDOW_MAX_NUMBERS = 3 * (RATE_BUCKETS + 2);

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const RuleStateSchema = Type.Object(
  {
    v: Type.Literal(1),
    /** Sequence and rule time (ruleTimeMs) of the last applied reading (null before the first). */
    lastSeq: Type.Union([SequenceSchema, Type.Null()]),
    lastTsMs: NullableNumber,
    lastValue: NullableNumber,
    /** An alert is raised and not yet cleared. */
    active: Type.Boolean(),
    /** Event time that names the open episode (see alertIdFor); null when inactive. */
    episodeStartMs: NullableNumber,
    /** Start of the pending hold: the breach run when inactive, the clear run when active. */
    runStartMs: NullableNumber,
    /** Key of the previous episode, so two episodes never share an id even at equal times. */
    lastEpisodeMs: NullableNumber,
    /** Rate rules only: flat [bucketKey, min, max, ...], oldest first; empty otherwise. */
    window: Type.Array(Type.Number(), { maxItems: RATE_WINDOW_MAX_NUMBERS }),
  },
  { additionalProperties: false },
);

export type RuleState = Static<typeof RuleStateSchema>;

/** Validates state loaded from storage (Firestore document, snapshot file). */
export const ruleStateChecker = compileChecker<RuleState>(RuleStateSchema, 'rule state');

export function initialRuleState(): RuleState {
  return {
    v: 1,
    lastSeq: null,
    lastTsMs: null,
    lastValue: null,
    active: false,
    episodeStartMs: null,
    runStartMs: null,
    lastEpisodeMs: null,
    window: [],
  };
}

export function cloneRuleState(state: RuleState): RuleState {
  return { ...state, window: state.window.slice() };
}

/**
 * The time rules run on: the gateway's receipt time when the reading carries one (the device
 * stamped it), else its event time (which then is the receipt time). The gateway and the
 * cloud both read it from the reading, so they agree on every hold and every alert id.
 */
export function ruleTimeMs(reading: Reading): number {
  return reading.rxMs ?? reading.tsMs;
}

export type ReadingDisposition = 'apply' | 'duplicate' | 'late';

/**
 * Whether `reading` may change `state`. A sequence at or below the last applied one is a
 * duplicate (redelivery, replay); a rule time before the last applied one is late. Equal
 * rule time with a higher sequence is applied (two readings in the same millisecond).
 */
export function classifyReading(state: RuleState, reading: Reading): ReadingDisposition {
  if (state.lastSeq !== null && reading.seq <= state.lastSeq) return 'duplicate';
  if (state.lastTsMs !== null && ruleTimeMs(reading) < state.lastTsMs) return 'late';
  return 'apply';
}
