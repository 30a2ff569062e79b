/**
 * Open alert counts per device for GET /v1/devices, kept per API instance for openAlertsTtlMs.
 *
 * Why: the list reads one document per latest shard (1000 devices at 50 per shard: 20), and
 * the open-alert query costs at least one more read even when it matches nothing, so every
 * list paid 21 where 20 hold the whole fleet; with k open alerts it paid 20 + k. Kept for a
 * short TTL, a console's reloads and its page-by-page walk share one query.
 *
 * Freshness: this instance's own ack/resolve and every alert record its streams see
 * (StreamHub) drop the cache at once, so a console reloading on an `alert` event reads the
 * new state; a change made through another instance shows within the TTL. TTL 0 queries on
 * every request. The load's reads count against the request's cap like any other read.
 */
import type { Clock } from '@edgeflow/shared';
import type { FleetReads } from './ports.ts';
import type { ReadBudget } from './read-budget.ts';

export class OpenAlertIndex {
  readonly #reads: FleetReads;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #loaded: { counts: ReadonlyMap<string, number>; atMs: number } | undefined;
  /** Bumped by invalidate(): a load that started before it is not kept. */
  #generation = 0;
  /** Loads served and loads avoided, for the tests and the benchmark's figures. */
  readonly counters = { loads: 0, hits: 0, invalidations: 0 };

  constructor(reads: FleetReads, clock: Clock, options: { readonly ttlMs: number }) {
    this.#reads = reads;
    this.#clock = clock;
    this.#ttlMs = options.ttlMs;
  }

  /** deviceId -> alerts open or acknowledged; refuses (READ_CAP) rather than count partially. */
  async get(budget: ReadBudget): Promise<ReadonlyMap<string, number>> {
    const now = this.#clock.nowMs();
    if (this.#loaded && now - this.#loaded.atMs < this.#ttlMs) {
      this.counters.hits++;
      return this.#loaded.counts;
    }
    const generation = this.#generation;
    budget.reserve(1, 'the open alerts');
    const open = await this.#reads.openAlertDevices(budget.remaining - 1);
    budget.charge(open.reads);
    if (open.truncated) budget.refuse('counting open alerts');
    this.counters.loads++;
    const counts = new Map<string, number>();
    for (const d of open.items) counts.set(d, (counts.get(d) ?? 0) + 1);
    if (generation === this.#generation && this.#ttlMs > 0) this.#loaded = { counts, atMs: now };
    return counts;
  }

  /** An alert changed: the next request queries again. */
  invalidate(): void {
    this.#generation++;
    this.#loaded = undefined;
    this.counters.invalidations++;
  }
}
