/**
 * The open dead letters (`pending`, `requires_review`) that match a filter, read in keyset pages:
 * what a batch resolve acts on, from the admin API and the CLI alike.
 */
import { type DeadLetterStatus, RESOLVABLE_DEAD_LETTER_STATUSES } from '../core/dead-letter.js';
import type { Store } from '../store/store.js';
import { type DeadLetterListFilter, toStoreFilter } from './queries.js';

/** Statuses an operator may resolve (the open ones). */
export const OPEN_STATUSES: readonly DeadLetterStatus[] = RESOLVABLE_DEAD_LETTER_STATUSES;

/**
 * Ids of open (`pending`, `requires_review`) entries matching a filter, oldest first, at most
 * `max`, read from the store in keyset pages of 1000.
 */
export async function openIdsMatching(
  store: Store,
  filter: DeadLetterListFilter,
  max: number,
): Promise<{ ids: string[]; truncated: boolean }> {
  const requested = filter.status === undefined ? OPEN_STATUSES : [filter.status].flat();
  const statuses = requested.filter((s) => OPEN_STATUSES.includes(s));
  if (statuses.length === 0) return { ids: [], truncated: false };
  const storeFilter = toStoreFilter({ ...filter, status: statuses });
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listDeadLetters({
      ...storeFilter,
      limit: Math.min(1000, max + 1 - ids.length),
      order: 'oldest',
      withTotal: false,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    for (const item of page.items) ids.push(item.id);
    if (ids.length > max) return { ids: ids.slice(0, max), truncated: true };
    // A page may be empty and still go on: a store that answers a filter with a bounded scan (an
    // error-text search or an undeclared JSON path on Redis) returns what its budget examined and
    // a cursor after it. Only a missing cursor, or one that does not move, ends the walk.
    if (page.nextCursor === null || page.nextCursor === cursor) return { ids, truncated: false };
    cursor = page.nextCursor;
  }
}
