/**
 * Events and counters of the dead-letter queue. Every record that misses the store, every
 * fallback write and every removal is both an event and a counter, so nothing is lost silently.
 */
import type { DeadLetterStatus } from '../core/dead-letter.js';

/** The events of a `DeadLetterQueue`. */
export interface DeadLetterQueueEvents {
  /** A record reached the store. */
  'dead_letter.stored': { id: string; domain: string; failureType: string };
  /** The store write failed; the record was appended (and fsynced) to the fallback file. */
  'dead_letter.fallback': { id: string; path: string; error: Error };
  /** The store write and the fallback write both failed: the record exists only in the caller's hands. */
  'dead_letter.lost': { id: string; error: Error; fallbackError: Error | null };
  /** `recoverFallback()` imported records from the fallback file. */
  'dead_letter.fallback_recovered': { imported: number; duplicates: number; rejected: number; path: string };
  /** A replay ran (retry, force-redrive or batch). */
  'dead_letter.replayed': {
    id: string;
    success: boolean;
    status: DeadLetterStatus;
    actor: string;
    forced: boolean;
    jobId: string | null;
    error: string | null;
  };
  'dead_letter.resolved': { ids: string[]; actor: string };
  'dead_letter.expired': { ids: string[] };
  'dead_letter.archived': { ids: string[] };
  /** Archived entries were deleted: the only way a dead letter ever leaves the store. */
  'dead_letter.purged': { ids: string[]; actor: string };
  /** Abandoned replays (their replayer died) were returned to `pending` / `requires_review`. */
  'dead_letter.released': { ids: string[] };
}

/** Counters since the queue was created. */
export interface DeadLetterQueueMetrics {
  /** Records written to the store (new ones only). */
  stored: number;
  /** `store()` calls that matched an existing record (same id or same job): nothing was written. */
  duplicates: number;
  /** Store writes that failed (each record then went to the fallback file, or was lost). */
  storeFailures: number;
  fallbackWrites: number;
  /** Records neither the store nor the fallback file accepted. */
  lost: number;
  fallbackRecovered: number;
  fallbackDuplicates: number;
  fallbackRejected: number;
  replays: number;
  replaySucceeded: number;
  replayFailed: number;
  replayConflicts: number;
  resolved: number;
  expired: number;
  archived: number;
  purged: number;
  released: number;
}

/** A zeroed {@link DeadLetterQueueMetrics}. */
export function emptyDeadLetterMetrics(): DeadLetterQueueMetrics {
  return {
    stored: 0,
    duplicates: 0,
    storeFailures: 0,
    fallbackWrites: 0,
    lost: 0,
    fallbackRecovered: 0,
    fallbackDuplicates: 0,
    fallbackRejected: 0,
    replays: 0,
    replaySucceeded: 0,
    replayFailed: 0,
    replayConflicts: 0,
    resolved: 0,
    expired: 0,
    archived: 0,
    purged: 0,
    released: 0,
  };
}
