/**
 * Per-instance cache of device profiles with a TTL (injected clock), so a batch of 50
 * devices costs 50 document reads once per TTL, not once per batch. Unknown devices are
 * cached too (as "unregistered") and reported once per instance; the report itself is a
 * create-if-absent, so other instances reporting the same device change nothing.
 *
 * Each device belongs to one gateway: a registered one to its profile's `gatewayId`, an
 * unregistered one to the gateway that reported it first (`unregisteredDevices/<id>`). A
 * second gateway reporting the same unregistered device is flagged on that record, once per
 * instance per (device, gateway).
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
  /**
   * The gateway each device belongs to (profile `gatewayId`, or the first reporter of an
   * unregistered device); undefined for a profile bound to none. Empty without a gateway.
   */
  readonly owners: Map<string, string | undefined>;
  /** Unregistered devices of another gateway that this gateway reported, flagged in this call. */
  readonly flagged: string[];
}

export class ProfileCache {
  readonly #store: ProfileStore;
  readonly #clock: Clock;
  readonly #options: ProfileCacheOptions;
  readonly #entries = new Map<string, Entry>();
  /** Unregistered device -> the gateway that reported it first. */
  readonly #claims = new Map<string, string>();
  /** `deviceId gatewayId` pairs already flagged by this instance. */
  readonly #flagged = new Set<string>();
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
    const owners = new Map<string, string | undefined>();
    const flagged: string[] = [];
    if (gatewayId === undefined) return { profiles, newlyUnregistered, owners, flagged };
    for (const [id, profile] of profiles) {
      if (profile !== undefined) owners.set(id, profile.gatewayId);
      else if (this.#claims.has(id)) owners.set(id, this.#claims.get(id));
      else newlyUnregistered.push(id);
    }
    // Report before remembering, so a failed report is retried with the redelivery.
    const firsts = await Promise.all(
      newlyUnregistered.map((id) => this.#store.reportUnregistered(id, gatewayId, nowMs)),
    );
    newlyUnregistered.forEach((id, i) => {
      const first = firsts[i] as string;
      owners.set(id, first);
      if (this.#claims.size >= this.#options.maxEntries) this.#claims.clear();
      this.#claims.set(id, first);
    });
    for (const [id, owner] of owners) {
      if (profiles.get(id) === undefined && owner !== gatewayId && !this.#flagged.has(`${id} ${gatewayId}`)) {
        flagged.push(id);
      }
    }
    await Promise.all(flagged.map((id) => this.#store.flagUnregistered(id, gatewayId, nowMs)));
    for (const id of flagged) {
      if (this.#flagged.size >= this.#options.maxEntries) this.#flagged.clear();
      this.#flagged.add(`${id} ${gatewayId}`);
    }
    return { profiles, newlyUnregistered, owners, flagged };
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
