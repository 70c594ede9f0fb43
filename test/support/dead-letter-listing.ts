/**
 * Checks that a store lists a filter exactly as expected: the whole list with its total, pages by
 * offset (those in the back half are read from the other end) and a walk by cursor.
 */
import { expect } from 'vitest';
import type {
  DeadLetterFilter,
  DeadLetterPage,
  ListDeadLettersParams,
} from '../../src/store/dead-letter-store.js';

/** Asserts that `filter` in `order` lists exactly `all` (30 ids or more), by offset and by cursor. */
export async function expectListing(
  list: (params: ListDeadLettersParams) => Promise<DeadLetterPage>,
  filter: DeadLetterFilter,
  order: 'newest' | 'oldest',
  all: readonly string[],
): Promise<void> {
  const whole = await list({ ...filter, order, limit: 100 });
  expect(whole.items.map((d) => d.id)).toEqual(all);
  expect(whole.total).toBe(all.length);
  for (const offset of [0, 7, 14, 22, all.length - 1]) {
    const page = await list({ ...filter, order, offset, limit: 4 });
    expect(page.items.map((d) => d.id)).toEqual(all.slice(offset, offset + 4));
  }
  const walked: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ ...filter, order, limit: 4, cursor, withTotal: false });
    walked.push(...page.items.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  expect(walked).toEqual(all);
}
