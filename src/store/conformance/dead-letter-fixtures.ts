/**
 * Builders for the dead-letter conformance cases (self-contained: times are explicit offsets from
 * {@link T0}, everything goes through the `Store` interface).
 */
import { expect } from 'vitest';
import type { DeadLetterStatus, NewDeadLetter } from '../../core/dead-letter.js';
import type { AttemptRecord, ClaimedJob } from '../../core/job.js';
import type { Store } from '../store.js';
import { standaloneDeadLetter, T0 } from './fixtures.js';

export {
  deadLetterFromJob,
  insertAndClaim,
  type StoreFactory,
  standaloneDeadLetter,
  T0,
  useFreshStore,
} from './fixtures.js';

/** One hour in milliseconds. */
export const HOUR = 3_600_000;

/** A failed attempt record for a claimed job, without code or stack. */
export function failedAttempt(job: ClaimedJob, endedAt: number): AttemptRecord {
  return {
    attempt: job.attemptsMade + 1,
    outcome: 'failed',
    startedAt: job.startedAt ?? endedAt,
    endedAt,
    workerId: job.workerId,
    errorClass: 'Error',
    message: 'boom',
  };
}

/** A standalone dead letter (shorthand of {@link standaloneDeadLetter}). */
export function dl(id: string, at: number, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return standaloneDeadLetter(id, at, overrides);
}

/** Inserts dead letters, all of which must be new. */
export async function seed(store: Store, records: NewDeadLetter[], now = T0): Promise<void> {
  const { inserted } = await store.insertDeadLetters({ deadLetters: records, now });
  expect(inserted).toBe(records.length);
}

/** Moves a pending dead letter to `status` through the store's own transitions. */
export async function setStatus(store: Store, id: string, status: DeadLetterStatus, now = T0): Promise<void> {
  if (status === 'resolved') {
    await store.resolveDeadLetters({ ids: [id], now, actor: 'test' });
  } else if (status === 'replaying') {
    expect((await store.acquireDeadLetterForReplay({ id, now })).ok).toBe(true);
  } else if (status === 'expired') {
    await store.transitionDeadLetters({ action: 'expire', now: now + 1e12, limit: 1, ids: [id] });
  } else if (status === 'archived') {
    await store.resolveDeadLetters({ ids: [id], now, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now, before: now + 1, limit: 1, ids: [id] });
  } else if (status === 'requires_review') {
    const a = await store.acquireDeadLetterForReplay({ id, now });
    if (!a.ok) throw new Error(`acquire failed: ${a.reason}`);
    await store.finishDeadLetterReplay({
      id,
      generation: a.deadLetter.generation,
      now,
      status: 'requires_review',
    });
  }
}
