/** Device profiles at `devices/<id>` and unknown-device reports at `unregisteredDevices/<id>`. */

import { type DeviceProfile, deviceProfileChecker } from '@edgeflow/shared';
import { FieldValue, type Firestore, Timestamp } from '@google-cloud/firestore';
import type { Logger } from 'pino';
import type { ProfileStore } from '../../functions/ingest/ports.ts';
import { withDeadline } from '../errors.ts';
import { Collections, type WriteCounter } from './client.ts';

/** gRPC ALREADY_EXISTS: `create()` of a document that is there. */
const ALREADY_EXISTS = 6;

export interface FirestoreProfileStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
  readonly logger: Logger;
}

export class FirestoreProfileStore implements ProfileStore {
  readonly #db: Firestore;
  readonly #options: FirestoreProfileStoreOptions;

  constructor(db: Firestore, options: FirestoreProfileStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async getMany(deviceIds: readonly string[]): Promise<Map<string, DeviceProfile | undefined>> {
    const out = new Map<string, DeviceProfile | undefined>();
    if (deviceIds.length === 0) return out;
    const col = this.#db.collection(Collections.devices);
    const snaps = await withDeadline('firestore profile read', this.#options.deadlineMs, () =>
      this.#db.getAll(...deviceIds.map((id) => col.doc(id))),
    );
    for (const snap of snaps) {
      if (!snap.exists) {
        out.set(snap.id, undefined);
        continue;
      }
      const data = { deviceId: snap.id, ...snap.data() };
      if (deviceProfileChecker.check(data)) out.set(snap.id, data);
      else {
        // A broken profile must not stop ingestion: the device is treated as unregistered.
        this.#options.logger.warn(
          { deviceId: snap.id, problems: deviceProfileChecker.problems(data).slice(0, 5) },
          'invalid device profile ignored',
        );
        out.set(snap.id, undefined);
      }
    }
    return out;
  }

  async getOne(deviceId: string): Promise<DeviceProfile | undefined> {
    return (await this.getMany([deviceId])).get(deviceId);
  }

  async reportUnregistered(deviceId: string, gatewayId: string, seenAtMs: number): Promise<string> {
    const ref = this.#db.collection(Collections.unregisteredDevices).doc(deviceId);
    try {
      await withDeadline('firestore unregistered report', this.#options.deadlineMs, () =>
        ref.create({ deviceId, gatewayId, firstSeenAt: Timestamp.fromMillis(seenAtMs) }),
      );
      this.#options.counter.writes += 1;
      return gatewayId;
    } catch (err) {
      if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
    }
    const snap = await withDeadline('firestore unregistered read', this.#options.deadlineMs, () => ref.get());
    const first = snap.get('gatewayId');
    // A record without a valid first gateway cannot give the device to anyone.
    return typeof first === 'string' ? first : '';
  }

  async flagUnregistered(deviceId: string, gatewayId: string, seenAtMs: number): Promise<void> {
    const ref = this.#db.collection(Collections.unregisteredDevices).doc(deviceId);
    await withDeadline('firestore unregistered flag', this.#options.deadlineMs, () =>
      ref.set(
        { claimedBy: FieldValue.arrayUnion(gatewayId), lastClaimAt: Timestamp.fromMillis(seenAtMs) },
        { merge: true },
      ),
    );
    this.#options.counter.writes += 1;
  }
}
