/**
 * The device profile catalogue of one API instance: every `devices/<id>` document, read in
 * one query and kept for profileTtlMs, so listing 1000 devices reads the latest shards, not
 * 1000 profile documents per request. Bounded by maxProfiles (a larger fleet is refused
 * with READ_CAP rather than read partially). Its reads are reported on the request that
 * (re)loads it but bounded by maxProfiles, not by the per-request cap.
 */
import type { Clock, DeviceProfile } from '@edgeflow/shared';
import { ApiError, ApiErrorCodes } from './errors.ts';
import type { FleetReads } from './ports.ts';
import type { ReadBudget } from './read-budget.ts';

export class ProfileCatalog {
  readonly #reads: FleetReads;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  #loaded: { profiles: Map<string, DeviceProfile>; atMs: number } | undefined;
  #loading: Promise<Map<string, DeviceProfile>> | undefined;

  constructor(
    reads: FleetReads,
    clock: Clock,
    options: { readonly ttlMs: number; readonly maxProfiles: number },
  ) {
    this.#reads = reads;
    this.#clock = clock;
    this.#ttlMs = options.ttlMs;
    this.#max = options.maxProfiles;
  }

  async get(budget: ReadBudget): Promise<Map<string, DeviceProfile>> {
    const now = this.#clock.nowMs();
    if (this.#loaded && now - this.#loaded.atMs < this.#ttlMs) return this.#loaded.profiles;
    // Concurrent requests share one load; only the request that started it is charged.
    if (this.#loading) return this.#loading;
    this.#loading = this.#load(budget, now).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(budget: ReadBudget, now: number): Promise<Map<string, DeviceProfile>> {
    const got = await this.#reads.listProfiles(this.#max);
    budget.chargeOutsideCap(got.reads);
    if (got.truncated)
      throw new ApiError(
        ApiErrorCodes.READ_CAP,
        `more than ${this.#max} device profiles (EDGEFLOW_API_MAX_PROFILES); raise it to serve this fleet`,
      );
    const profiles = new Map<string, DeviceProfile>();
    for (const p of got.items) if (p) profiles.set(p.deviceId, p);
    this.#loaded = { profiles, atMs: now };
    return profiles;
  }
}
