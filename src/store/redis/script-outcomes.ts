/**
 * The Redis store's script arguments and replies for completions and failures: what goes into
 * complete-jobs.lua, and how the scripts' named outcomes map to the seam's results.
 */
import type { FailJobResult, FenceResult, JobCompletion, JobFailure } from '../job-store.js';

/** The triples of complete-jobs.lua. */
export function completionArgs(completions: readonly JobCompletion[]): string[] {
  const out: string[] = new Array(completions.length * 3);
  for (let i = 0; i < completions.length; i++) {
    const c = completions[i]!;
    out[i * 3] = String(c.id);
    out[i * 3 + 1] = String(c.token);
    out[i * 3 + 2] = c.resultJson ?? '';
  }
  return out;
}

/** lib/fail.lua's outcome for a dead letter refused because its job keeps an earlier entry. */
export type KeptEntryOutcome = readonly ['dead_lettered_to_kept_entry', string];

/**
 * Maps lib/fail.lua's outcomes to {@link FailJobResult}s; 'all_ok': every failure was applied as
 * asked (each dead letter created, each retry scheduled).
 */
export function failResults(
  failures: readonly JobFailure[],
  outcomes: readonly (string | KeptEntryOutcome)[] | 'all_ok',
): FailJobResult[] {
  if (outcomes === 'all_ok')
    return failures.map(
      ({ id, outcome }): FailJobResult =>
        outcome.kind === 'dead_letter'
          ? { id, ok: true, deadLetterId: outcome.deadLetter.id }
          : { id, ok: true },
    );
  return failures.map((failure, i): FailJobResult => {
    const outcome = outcomes[i];
    const { id, outcome: wanted } = failure;
    if (Array.isArray(outcome)) {
      // Dead-lettered, the job keeping the entry stored for it before its failure (or none).
      const [, kept] = outcome;
      return kept ? { id, ok: true, deadLetterId: kept } : { id, ok: true };
    }
    if (outcome === 'retried') return { id, ok: true };
    if (outcome === 'dead_lettered' && wanted.kind === 'dead_letter')
      return { id, ok: true, deadLetterId: wanted.deadLetter.id };
    if (outcome === 'duplicate') return { id, ok: true, duplicate: true };
    return { id, ok: false, reason: outcome as 'stale_token' | 'not_active' | 'not_found' };
  });
}

/** Maps the scripts' named outcomes to {@link FenceResult}s. */
export function fenceResults(
  items: readonly { id: string }[],
  outcomes: readonly string[] | 'all_ok',
): FenceResult[] {
  if (outcomes === 'all_ok') return items.map((item) => ({ id: item.id, ok: true }));
  return items.map((item, i): FenceResult => {
    const outcome = outcomes[i];
    if (outcome === 'ok') return { id: item.id, ok: true };
    if (outcome === 'duplicate') return { id: item.id, ok: true, duplicate: true };
    return { id: item.id, ok: false, reason: outcome as 'stale_token' | 'not_active' | 'not_found' };
  });
}
