/**
 * The one place a Firestore client is built. `FIRESTORE_EMULATOR_HOST` (read by the SDK
 * itself) points it at the emulator; otherwise Application Default Credentials apply.
 */
import { Firestore } from '@google-cloud/firestore';

/** Counts document writes as Firestore bills them: one per document in a commit. */
export interface WriteCounter {
  writes: number;
}

export function newWriteCounter(): WriteCounter {
  return { writes: 0 };
}

export function createFirestore(projectId: string | undefined): Firestore {
  return new Firestore({
    ...(projectId ? { projectId } : {}),
    // Against the emulator, name the universe so the auth library does not probe the GCE
    // metadata server on the first call (a warning and a delay on the first event).
    ...(process.env.FIRESTORE_EMULATOR_HOST ? { universeDomain: 'googleapis.com' } : {}),
    // Rule state and events are plain data; an absent optional field must not fail a write.
    ignoreUndefinedProperties: true,
  });
}

/** Collection names, in one place so the CLI and the functions agree. */
export const Collections = {
  devices: 'devices',
  unregisteredDevices: 'unregisteredDevices',
  readings: 'readings',
  latest: 'latest',
  alerts: 'alerts',
  notifyBudgets: 'notifyBudgets',
  deadLetters: 'deadLetters',
} as const;
