/**
 * Removing one job by id, through the store's optional `removeJobsById` (`active` jobs are never
 * removed: the store checks the state in the same statement as the delete).
 */
import { NotFoundError, RedriveError, StateConflictError } from '../core/errors.js';
import type { Store } from '../store/store.js';

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
  if (!store.removeJobsById) {
    throw new RedriveError('NOT_SUPPORTED', 501, `this ${store.kind} store cannot remove a single job`);
  }
  const removed = await store.removeJobsById({ ids: [id] });
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
