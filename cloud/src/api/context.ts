/** What every handler receives: parsed request parts, the read budget, the clock, the caller. */
import type { ApiConfig } from './config.ts';
import type { Query } from './params.ts';
import type { ReadBudget } from './read-budget.ts';

export interface RequestContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  readonly body: unknown;
  readonly budget: ReadBudget;
  readonly nowMs: number;
  /** Who is asking (for ack/resolve), see identity.ts. */
  readonly actor: string;
  /** The Idempotency-Key header, when sent. */
  readonly requestKey: string | null;
  readonly config: ApiConfig;
}
