/**
 * Parts of dead-letter filtering every store reads the same way: the statuses a filter names
 * (checked, in lifecycle order), their SQL condition, LIKE escaping, and whether a filter's total
 * can come from the maintained (status, domain) counts.
 */
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterFilter } from '../dead-letter-store.js';

/**
 * The statuses named, in lifecycle order.
 *
 * @throws ValidationError naming `statuses` for an unknown status
 */
export function orderedStatuses(statuses: readonly string[]): DeadLetterStatus[] {
  for (const s of statuses) {
    if (!(DEAD_LETTER_STATUSES as readonly string[]).includes(s)) {
      throw new ValidationError('statuses', `unknown status ${JSON.stringify(s)}`);
    }
  }
  return DEAD_LETTER_STATUSES.filter((s) => statuses.includes(s));
}

/**
 * The SQL status condition, with the (checked) statuses written as literals in lifecycle order, so
 * that it matches the WHERE of the partial indexes (`status IN ('resolved', 'expired')`,
 * `status = 'archived'`) and the planner can use them.
 *
 * @throws ValidationError naming `statuses` for an unknown status
 */
export function statusCondition(statuses: readonly string[]): string {
  const ordered = orderedStatuses(statuses);
  return ordered.length === 1
    ? `status = '${ordered[0]}'`
    : `status IN (${ordered.map((s) => `'${s}'`).join(', ')})`;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'` (PostgreSQL's default escape). */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Whether a filter names only statuses and domains, so the maintained counts answer its total. */
export function countableFromCounts(filter: DeadLetterFilter): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === 'statuses' || key === 'domain' || key === 'domains') continue;
    if ((key === 'json' || key === 'excludeDomains') && Array.isArray(value) && value.length === 0) continue;
    if (key === 'belowReplayCap' && value === false) continue;
    return false;
  }
  return true;
}
