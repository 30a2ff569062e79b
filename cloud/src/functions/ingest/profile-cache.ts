/**
 * Per-instance cache of device profiles with a TTL (injected clock), so a batch of 50
 * devices costs 50 document reads once per TTL, not once per batch. Unknown devices are
 * cached too (as "unregistered") and reported once per instance; the report itself is a
 * create-if-absent, so other instances reporting the same device change nothing.
 */
import type { Clock, DeviceProfile } from '@edgeflow/shared';
import { METRIC_CATALOG } from '@edgeflow/shared';
import type { ProfileStore } from './ports.ts';

export const UNREGISTERED_SITE = 'unregistered';

export interface ProfileCacheOptions {
  readonly ttlMs: number;
  /** Bound on cached entries; the oldest entry is evicted beyond it (counted). */
  readonly maxEntries: number;
}

export const DEFAULT_PROFILE_CACHE: ProfileCacheOptions = Object.freeze({
  ttlMs: 60_000,
  maxEntries: 20_000,
});

interface Entry {
  readonly profile: DeviceProfile | undefined;
  readonly fetchedAtMs: number;
}

export interface ProfileLookup {
  /** undefined when the device has no profile (unregistered). */
  readonly profiles: Map<string, DeviceProfile | undefined>;
  /** Devices first seen unregistered by this instance in this call. */
  readonly newlyUnregistered: string[];
}

export class ProfileCache {
  readonly #store: ProfileStore;
  readonly #clock: Clock;
  readonly #options: ProfileCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #reported = new Set<string>();
  evictions = 0;

  constructor(store: ProfileStore, clock: Clock, options: ProfileCacheOptions = DEFAULT_PROFILE_CACHE) {
    this.#store = store;
    this.#clock = clock;
    this.#options = options;
  }

  /** `gatewayId` undefined: look up only, report nothing (notify's use). */
  async lookup(deviceIds: Iterable<string>, gatewayId: string | undefined): Promise<ProfileLookup> {
    const nowMs = this.#clock.nowMs();
    const profiles = new Map<string, DeviceProfile | undefined>();
    const missing: string[] = [];
    for (const id of deviceIds) {
      const e = this.#entries.get(id);
      if (e && nowMs - e.fetchedAtMs < this.#options.ttlMs) profiles.set(id, e.profile);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const fetched = await this.#store.getMany(missing);
      for (const id of missing) {
        const profile = fetched.get(id);
        profiles.set(id, profile);
        this.#remember(id, { profile, fetchedAtMs: nowMs });
      }
    }
    const newlyUnregistered: string[] = [];
    if (gatewayId === undefined) return { profiles, newlyUnregistered };
    for (const [id, profile] of profiles) {
      if (profile === undefined && !this.#reported.has(id)) newlyUnregistered.push(id);
    }
    // Report before remembering, so a failed report is retried with the redelivery.
    await Promise.all(newlyUnregistered.map((id) => this.#store.reportUnregistered(id, gatewayId, nowMs)));
    for (const id of newlyUnregistered) {
      if (this.#reported.size >= this.#options.maxEntries) this.#reported.clear();
      this.#reported.add(id);
    }
    return { profiles, newlyUnregistered };
  }

  #remember(id: string, entry: Entry): void {
    this.#entries.delete(id);
    if (this.#entries.size >= this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
      this.evictions++;
    }
    this.#entries.set(id, entry);
  }
}

/** The profile an unknown device is persisted under: readings kept, nobody notified. */
export function unregisteredProfile(deviceId: string): DeviceProfile {
  return { deviceId, site: UNREGISTERED_SITE, name: deviceId, units: {}, notify: [] };
}

export function unitOf(profile: DeviceProfile | undefined, metric: string): string {
  const own = profile?.units[metric];
  if (own !== undefined) return own;
  return Object.hasOwn(METRIC_CATALOG, metric) ? (METRIC_CATALOG[metric]?.unit ?? '') : '';
}
