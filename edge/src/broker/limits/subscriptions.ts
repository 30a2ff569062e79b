/**
 * A per-client cap on subscriptions. aedes keeps every granted filter (one mqemitter entry
 * each, matched on every publish), so a single client could otherwise hold thousands.
 *
 * The filters a client holds are tracked here, not read from aedes: aedes authorizes all the
 * filters of one SUBSCRIBE before it records any of them for a persistent session, so its
 * own record would let one packet past the cap. A filter the client already holds (a
 * re-subscribe, e.g. to change QoS) never counts twice; UNSUBSCRIBE frees its slots. Past
 * the cap the filter gets SUBACK 0x80 and the connection stays up [MQTT-3.9.3].
 */
import type { Aedes, AedesOptions, Client } from 'aedes';

type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;

const HELD: unique symbol = Symbol('edgeflow.subscriptions');
type CappedClient = Client & { [HELD]?: Set<string> };

export interface SubscriptionCapEvents {
  /** `filter` was refused to `client`, which already holds `held` filters. */
  onRefused(client: Client, filter: string, held: number): void;
}

export class SubscriptionCap {
  readonly #max: number;
  readonly #events: SubscriptionCapEvents;

  constructor(maxPerClient: number, events: SubscriptionCapEvents) {
    this.#max = maxPerClient;
    this.#events = events;
  }

  /** Takes a slot for `filter`, or refuses it (counted) when `client` is at the cap. */
  admit(client: Client, filter: string): boolean {
    const capped = client as CappedClient;
    let held = capped[HELD];
    if (held === undefined) {
      held = new Set();
      capped[HELD] = held;
    }
    if (held.has(filter)) return true;
    if (held.size >= this.#max) {
      this.#events.onRefused(client, filter, held.size);
      return false;
    }
    held.add(filter);
    return true;
  }

  release(client: Client, filters: readonly string[]): void {
    const held = (client as CappedClient)[HELD];
    if (held === undefined) return;
    for (const filter of filters) held.delete(filter);
  }

  /** How many filters `client` holds (for tests and logs). */
  heldBy(client: Client): number {
    return (client as CappedClient)[HELD]?.size ?? 0;
  }

  /**
   * Wraps an authorizeSubscribe hook: a filter the policy grants then takes a slot; refused
   * filters take none.
   */
  wrap(authorize: AuthorizeSubscribe | undefined): AuthorizeSubscribe {
    const policy: AuthorizeSubscribe = authorize ?? ((_client, sub, callback) => callback(null, sub));
    return (client, sub, callback) => {
      policy(client, sub, (err, granted) => {
        if (err || !granted || this.admit(client, granted.topic)) callback(err, granted);
        else callback(null, null);
      });
    };
  }

  /** Frees slots on the broker's 'unsubscribe' event. */
  listen(aedes: Aedes): void {
    aedes.on('unsubscribe', (filters, client) => this.release(client, filters));
  }
}
