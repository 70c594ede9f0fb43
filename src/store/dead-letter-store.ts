/**
 * The dead-letter half of the Store seam.
 */
import type { DeadLetter, DeadLetterStatus, NewDeadLetter } from '../core/dead-letter.js';

/** Params of {@link DeadLetterStore.listDeadLetters}. */
export interface ListDeadLettersParams {
  statuses?: readonly DeadLetterStatus[];
  queue?: string;
  domain?: string;
  limit: number;
  offset?: number;
}

/** The dead-letter operations every store implements. */
export interface DeadLetterStore {
  /** Inserts records; a record whose id already exists is left as it is (idempotent import). */
  insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number }>;
  getDeadLetter(params: { id: string }): Promise<DeadLetter | null>;
  /** The dead letter of a job, if it has one. */
  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null>;
  listDeadLetters(params: ListDeadLettersParams): Promise<{ items: DeadLetter[]; total: number }>;
}
