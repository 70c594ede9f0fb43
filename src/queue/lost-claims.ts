/**
 * The claims of one worker whose replies were lost: the store may have run them, so the next claim
 * names them (`ClaimJobsParams.lostClaims`) and the store returns the jobs they took to waiting,
 * instead of leaving them leased to no one until their leases expire. A claim that failed before
 * it was sent is not named: naming costs the store a search of the jobs claimed since then.
 */
import { StoreUnavailableError } from '../core/errors.js';
import type { ClaimJobsParams } from '../store/job-store.js';

/**
 * Most lost claims named by the next claim. Beyond it the oldest are forgotten: their jobs, if
 * any, come back when their leases expire, as they did before claims were named.
 */
const MAX_LOST_CLAIMS = 32;

/**
 * Whether a failed call surely never reached the store: refused by the client or the store's
 * connection before it was written, or answered by a server that could not serve it. Anything else
 * (an ambiguous outcome, an error this cannot tell apart) may have run.
 */
export function surelyNotSent(error: unknown): boolean {
  if (!(error instanceof StoreUnavailableError)) return false;
  const outcome = error.details?.outcome;
  return outcome === 'not_sent' || outcome === 'unavailable';
}

/** The lost claims not yet named by a claim that got through, with the time each was sent. */
export class LostClaims {
  private claims: { id: string; sentAt: number }[] = [];

  get size(): number {
    return this.claims.length;
  }

  /** A claim failed: names it next time unless it surely never reached the store. */
  failed(params: Pick<ClaimJobsParams, 'claimId' | 'now'>, error: unknown): void {
    if (surelyNotSent(error)) return;
    this.claims.push({ id: params.claimId, sentAt: params.now });
    if (this.claims.length > MAX_LOST_CLAIMS) this.claims.shift();
  }

  /** What the next claim names: the ids, and when the earliest was sent (the store looks no further back). */
  toName(): Pick<ClaimJobsParams, 'lostClaims' | 'lostClaimsSince'> {
    if (this.claims.length === 0) return {};
    return {
      lostClaims: this.claims.map((c) => c.id),
      lostClaimsSince: Math.min(...this.claims.map((c) => c.sentAt)),
    };
  }

  /** A claim naming `named` got through: the store released what they took. */
  released(named: readonly string[] | undefined): void {
    if (named) this.claims = this.claims.filter((c) => !named.includes(c.id));
  }
}
