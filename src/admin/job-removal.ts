/**
 * Removing one job by id. The Store interface removes jobs by queue, state and age only, so this
 * uses a store's `removeJobsById` when it has one, and otherwise, for a SQLite file, one guarded
 * statement on a separate connection (`active` jobs are never removed: the state check is in the
 * same statement as the delete).
 */
import Database from 'better-sqlite3';
import { NotFoundError, RedriveError, StateConflictError } from '../core/errors.js';
import type { Store } from '../store/store.js';

/** A store that can remove jobs by id (optional; not yet part of the Store interface). */
interface RemovesById {
  removeJobsById(params: { ids: readonly string[] }): Promise<number>;
}

function removesById(store: Store): store is Store & RemovesById {
  return typeof (store as Partial<RemovesById>).removeJobsById === 'function';
}

/**
 * Removes a job that is not `active`.
 *
 * @throws NotFoundError (404); StateConflictError (409) for an active job; RedriveError
 *   `NOT_SUPPORTED` (501) for a store that cannot remove by id
 */
export async function removeJob(store: Store, id: string): Promise<void> {
  const job = await store.getJob({ id });
  if (!job) throw new NotFoundError(`job ${id} does not exist`, { id });
  if (job.state === 'active') {
    throw new StateConflictError(`job ${id} is active; it can be removed once it finishes`, {
      id,
      reason: 'invalid_status',
      state: job.state,
    });
  }
  let removed: number;
  if (removesById(store)) {
    removed = await store.removeJobsById({ ids: [id] });
  } else {
    const path = store.kind === 'sqlite' ? (store as { path?: unknown }).path : undefined;
    if (typeof path !== 'string' || path === ':memory:' || path === '') {
      throw new RedriveError('NOT_SUPPORTED', 501, `this ${store.kind} store cannot remove a single job`);
    }
    const db = new Database(path, { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      removed = db
        .prepare("DELETE FROM redrive_jobs WHERE id = ? AND state != 'active'")
        .run(Number(id)).changes;
    } finally {
      db.close();
    }
  }
  if (removed === 0) {
    const now = await store.getJob({ id });
    if (!now) throw new NotFoundError(`job ${id} does not exist`, { id });
    throw new StateConflictError(`job ${id} is ${now.state}; it cannot be removed now`, {
      id,
      reason: 'invalid_status',
      state: now.state,
    });
  }
}
