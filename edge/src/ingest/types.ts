import type { Reading } from '@edgeflow/shared';

/** A reading before the outbox assigns its gateway sequence number. */
export type UnsequencedReading = Omit<Reading, 'seq'>;
