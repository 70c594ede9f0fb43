/**
 * Which entries of a `resolveDeadLetters` call the SQL stores resolve, decided the same way by both
 * (the Redis store decides it in its Lua script): each id once, in the caller's order; a missing one
 * is not found; a stale expected generation, then a status that cannot be resolved, skips it.
 */

import { type DeadLetterStatus, RESOLVABLE_DEAD_LETTER_STATUSES } from '../../core/dead-letter.js';
import {
  expectedGenerationOf,
  type ResolveDeadLettersParams,
  type ResolveDeadLettersResult,
} from '../dead-letter-store.js';

/** The part of a dead-letter row the decision reads. */
interface ResolvableRow {
  status: DeadLetterStatus;
  generation: number;
}

/** The entries to resolve, with their rows, and the result naming them (`resolved` filled). */
export interface ResolvePlan<R extends ResolvableRow> {
  resolvable: { id: string; row: R }[];
  result: ResolveDeadLettersResult;
}

/** Sorts the ids of `params` against the current rows, read (and locked) by the store. */
export function planResolve<R extends ResolvableRow>(
  params: Pick<ResolveDeadLettersParams, 'ids' | 'expectedGenerations'>,
  byId: ReadonlyMap<string, R>,
): ResolvePlan<R> {
  const result: ResolveDeadLettersResult = { resolved: [], skipped: [], notFound: [] };
  const resolvable: { id: string; row: R }[] = [];
  const seen = new Set<string>();
  for (const id of params.ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const row = byId.get(id);
    if (!row) {
      result.notFound.push(id);
      continue;
    }
    const expected = expectedGenerationOf(params.expectedGenerations, id);
    if (expected !== undefined && expected !== row.generation) {
      result.skipped.push({ id, status: row.status, reason: 'stale_generation' });
      continue;
    }
    if (!RESOLVABLE_DEAD_LETTER_STATUSES.includes(row.status)) {
      result.skipped.push({ id, status: row.status, reason: 'invalid_status' });
      continue;
    }
    result.resolved.push(id);
    resolvable.push({ id, row });
  }
  return { resolvable, result };
}
