/**
 * SDK clients pointed explicitly at a local cloud's emulators (not through process.env), for
 * tests and tools that talk to a specific stack.
 */
import { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { pubsubClient } from './topology.ts';

export interface EmulatorTarget {
  readonly projectId: string;
  readonly pubsubHost: string;
  readonly firestoreHost: string;
}

export function firestoreFor(target: EmulatorTarget): Firestore {
  // ssl:false makes the client send `Authorization: Bearer owner`, the emulator's admin token.
  return new Firestore({
    projectId: target.projectId,
    host: target.firestoreHost,
    ssl: false,
    ignoreUndefinedProperties: true,
    // Explicit, so the auth library does not probe the GCE metadata server (a warning, a delay).
    universeDomain: 'googleapis.com',
  });
}

export function pubsubFor(target: EmulatorTarget): PubSub {
  return pubsubClient(target.pubsubHost, target.projectId);
}
