/**
 * The Redis store's side of `ClaimJobsParams.lostClaims`: before a claim that names claims whose
 * replies were lost, one script call returns the jobs they took to waiting (release-lost-claims.lua).
 * It is a step of its own, ahead of the claim script: releasing is safe alone (the jobs wait for any
 * worker, their old tokens refused), so a reply lost again only leaves the same ids to name again.
 */
import { ValidationError } from '../../core/errors.js';
import type { ClaimJobsParams } from '../job-store.js';

/** Runs a store script with the caller's clock (RedisStore's `timed`). */
export type TimedScript = (name: 'release-lost-claims', now: number, args: string[]) => Promise<unknown>;

/** Releases the jobs of `params.lostClaims`, if any; returns how many were released. */
export async function releaseLostClaims(timed: TimedScript, params: ClaimJobsParams): Promise<number> {
  const lost = params.lostClaims;
  if (!lost || lost.length === 0) return 0;
  if (!lost.every((id) => typeof id === 'string' && id !== ''))
    throw new ValidationError('lostClaims', 'must be non-empty strings');
  const since = params.lostClaimsSince;
  if (since !== undefined && !Number.isFinite(since))
    throw new ValidationError('lostClaimsSince', 'must be a finite number');
  if (!Number.isFinite(params.leaseMs)) throw new ValidationError('leaseMs', 'must be a finite number');
  const window = [since === undefined ? '' : String(Math.round(since)), String(Math.round(params.leaseMs))];
  return Number(
    await timed('release-lost-claims', params.now, [
      params.queue,
      String(params.workerId),
      ...window,
      ...lost,
    ]),
  );
}
