/**
 * The per-request document-read cap. Every adapter call that reads documents asks the
 * budget first with what it may read at most (a query's limit, a get's id count) and
 * charges what it did read; a request that would exceed the cap is refused before the read
 * (EDGEFLOW_API_READ_CAP), so no request reads an unbounded number of documents. The count
 * is returned in the `X-Edgeflow-Doc-Reads` header (tests and the query benchmark read it);
 * the profile catalogue's periodic reload is reported there too but bounded separately.
 */
import { ApiError, ApiErrorCodes } from './errors.ts';

export class ReadBudget {
  readonly cap: number;
  #used = 0;
  #outsideCap = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  get used(): number {
    return this.#used;
  }

  /** Every document this request read, the profile catalogue's (re)load included. */
  get total(): number {
    return this.#used + this.#outsideCap;
  }

  get remaining(): number {
    return this.cap - this.#used;
  }

  /** Throws READ_CAP when `upTo` more reads could pass the cap; `what` names them. */
  reserve(upTo: number, what: string): void {
    if (this.#used + upTo > this.cap) {
      throw new ApiError(
        ApiErrorCodes.READ_CAP,
        `${what} would read up to ${upTo} documents; ${this.remaining} of this request's ${this.cap} remain (EDGEFLOW_API_MAX_READS)`,
      );
    }
  }

  /** Throws READ_CAP: a limited read came back full, so the whole answer needs more than remain. */
  refuse(what: string): never {
    throw new ApiError(
      ApiErrorCodes.READ_CAP,
      `${what} needs more than the ${this.cap} documents one request may read (EDGEFLOW_API_MAX_READS)`,
    );
  }

  /** Records reads done. Firestore bills a query that returns nothing as one read. */
  charge(reads: number): void {
    this.#used += Math.max(1, reads);
  }

  /**
   * Reads of the per-instance profile catalogue (profiles.ts), bounded by its own limit and
   * amortised over every request of its TTL: reported, not charged against the cap.
   */
  chargeOutsideCap(reads: number): void {
    this.#outsideCap += Math.max(1, reads);
  }
}
