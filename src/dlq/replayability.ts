/**
 * Whether a retry can replay a dead letter now, and if not, why: the checks `retry()` makes
 * before it spends a replay (status, budget, expiry, a handler) and the one the default queue
 * handler makes after (a payload it cannot use). A dashboard asks before it offers Retry, so an
 * operator is never offered a replay that is bound to be refused or to fail.
 */
import type { Clock } from '../core/clock.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { containsRedaction } from '../dead-letter-record/redact.js';
import type { Store } from '../store/store.js';
import type { ReplayRegistry } from './replay-registry.js';

/** The answer of {@link replayability}. */
export interface Replayability {
  /** True when `retry()` would run a handler now. */
  possible: boolean;
  /** The handler a replay would use (`queue:emails`, `domain:payment`, `default:queue`), or null. */
  handler: string | null;
  /** Why a replay cannot work, in words for an operator; null when it can. */
  reason: string | null;
}

/** Whether `retry()` can replay `entry` now (see {@link Replayability}). */
export async function replayability(
  deps: { store: Store; clock: Clock; registry: ReplayRegistry },
  entry: DeadLetter,
): Promise<Replayability> {
  const resolved = deps.registry.resolve(entry);
  const handler = resolved?.name ?? null;
  const no = (reason: string): Replayability => ({ possible: false, handler, reason });
  if (entry.status !== 'pending') return no(`only pending entries are replayed; this one is ${entry.status}`);
  if (entry.replayCount >= entry.maxReplays)
    return no(`its ${entry.maxReplays} replays are spent (a force redrive grants a fresh budget)`);
  if (entry.expiresAt !== null && entry.expiresAt <= deps.clock.now())
    return no('it is past its expiry time');
  if (!resolved) return no(`no replay handler is registered for domain ${entry.domain}`);
  if (resolved.name === 'default:queue' && containsRedaction(entry.payload)) {
    // The default handler re-enqueues the original job's payload; without that row it would
    // have to use the stored copy, whose secrets were redacted, and it refuses to.
    const original = entry.jobId ? await deps.store.getJob({ id: entry.jobId }) : null;
    if (!original)
      return no('the original job is gone and the stored payload has redacted secrets (register a handler)');
  }
  return { possible: true, handler, reason: null };
}
