/**
 * The verdict of a chaos run, read from the store after every worker has stopped: each job
 * enqueued is completed or dead-lettered, exactly once, and none is missing or left behind.
 */
import Database from 'better-sqlite3';
import type { Store } from '../../store/store.js';

/** What the run knows beside the store: the jobs it enqueued and the workers' reports. */
export interface ChaosExpectations {
  queue: string;
  /** Every job id enqueued. */
  jobIds: readonly string[];
  /** Jobs whose handler throws a permanent error: each must end dead-lettered. */
  failing: ReadonlySet<string>;
  /** Completions acknowledged by the store, as the workers reported them (one may be lost with its worker). */
  completionReports: ReadonlyMap<string, number>;
}

/** The store's side of the verdict. */
export interface ChaosVerdict {
  completed: number;
  deadLettered: number;
  /** Poison pills: jobs meant to succeed that were dead-lettered after repeated orphaning. */
  poisonPills: number;
  /** Jobs neither completed nor dead-lettered (missing from the store, or still queued or active). */
  lost: string[];
  /** Jobs whose completion the store acknowledged more than once. */
  completedTwice: string[];
  /** Dead-lettered jobs without exactly one dead letter, or completed jobs that have one. */
  deadLetterMismatch: string[];
  /** Jobs meant to fail that completed. */
  failingCompleted: string[];
}

/** Pages read per store call. */
const PAGE = 1000;

/** Reads the queue's jobs and dead letters and checks them against `expected`. */
export async function verifyChaosRun(store: Store, expected: ChaosExpectations): Promise<ChaosVerdict> {
  const states = new Map<string, string>();
  let afterId: string | undefined;
  for (;;) {
    const page = await store.listJobs({
      queue: expected.queue,
      limit: PAGE,
      ...(afterId ? { afterId } : {}),
    });
    for (const job of page) states.set(job.id, job.state);
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  const deadLetters = new Map<string, number>();
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listDeadLetters({
      queue: expected.queue,
      limit: PAGE,
      order: 'oldest',
      withTotal: false,
      ...(cursor ? { cursor } : {}),
    });
    for (const entry of page.items)
      if (entry.jobId !== null) deadLetters.set(entry.jobId, (deadLetters.get(entry.jobId) ?? 0) + 1);
    if (page.nextCursor === null || page.items.length === 0) break;
    cursor = page.nextCursor;
  }

  const verdict: ChaosVerdict = {
    completed: 0,
    deadLettered: 0,
    poisonPills: 0,
    lost: [],
    completedTwice: [],
    deadLetterMismatch: [],
    failingCompleted: [],
  };
  for (const id of expected.jobIds) {
    const state = states.get(id);
    const letters = deadLetters.get(id) ?? 0;
    if (state === 'completed') {
      verdict.completed++;
      if ((expected.completionReports.get(id) ?? 0) > 1) verdict.completedTwice.push(id);
      if (letters !== 0) verdict.deadLetterMismatch.push(id);
      if (expected.failing.has(id)) verdict.failingCompleted.push(id);
    } else if (state === 'dead_lettered') {
      verdict.deadLettered++;
      if (!expected.failing.has(id)) verdict.poisonPills++;
      if (letters !== 1) verdict.deadLetterMismatch.push(id);
    } else verdict.lost.push(id);
  }
  return verdict;
}

/** `PRAGMA integrity_check` of a SQLite database file: `ok`, or the problems it lists. */
export function sqliteIntegrity(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}
