/**
 * What the parts of the dead-letter page share: the signed-in context, the list state (filters,
 * page, tab, all kept in the URL) and how to move to another state.
 */
import type { Ctx } from './context.js';
import { h } from './dom.js';
import type { ListState } from './filters.js';
import type { DeadLetterStatus } from './types.js';

/** Statuses an operator can still act on (resolve, replay). */
export const OPEN_STATUSES: DeadLetterStatus[] = ['pending', 'requires_review'];

/** The dead-letter page as its parts see it. */
export interface ListPage {
  ctx: Ctx;
  /** The state shown now. */
  state(): ListState;
  /** Shows another state of the list; only "Next" passes the API's cursor along. */
  go(next: ListState, cursor?: string): void;
}

/** A one-line error for a region that could not load. */
export function errorBox(title: string, error: unknown): HTMLElement {
  return h('p', { class: 'error' }, `${title}: ${(error as Error).message}`);
}

/** Whether an error is a fetch cancelled because its answer was no longer wanted. */
export function isAbort(error: unknown): boolean {
  return (error as Error)?.name === 'AbortError';
}
