/**
 * The dead-letter browser's state (filter, page, order) and its round trip through the URL hash,
 * so every view of the list can be bookmarked, shared and reached with Back.
 */
import { DEAD_LETTER_STATUSES, type DeadLetterFilter, type DeadLetterStatus } from './types.js';

export const PAGE_SIZES = [25, 50, 100] as const;

export interface ListState {
  status: DeadLetterStatus[];
  domain: string;
  queue: string;
  failureType: string;
  q: string;
  fingerprint: string;
  entityId: string;
  from: number | undefined;
  to: number | undefined;
  /** A payload field (dotted path without the `payload.` prefix) and the value it must equal. */
  payloadPath: string;
  payloadValue: string;
  page: number;
  pageSize: number;
  order: 'newest' | 'oldest';
  /** The API's keyset cursor for `page` (set by "Next"; constant time at any depth), or ''. */
  cursor: string;
  /** The tab shown: the entries, the top failures, or the status x domain table. */
  tab: ListTab;
}

/** Tabs of the dead-letter page. */
export const LIST_TABS = ['entries', 'top', 'matrix'] as const;

export type ListTab = (typeof LIST_TABS)[number];

const TEXT_KEYS = ['domain', 'queue', 'failureType', 'q', 'fingerprint', 'entityId'] as const;

function int(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) ? n : fallback;
}

function time(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function parseListState(params: URLSearchParams): ListState {
  const status = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is DeadLetterStatus => (DEAD_LETTER_STATUSES as readonly string[]).includes(s));
  const pageSize = int(params.get('pageSize'), 25);
  return {
    status,
    domain: params.get('domain') ?? '',
    queue: params.get('queue') ?? '',
    failureType: params.get('failureType') ?? '',
    q: params.get('q') ?? '',
    fingerprint: params.get('fingerprint') ?? '',
    entityId: params.get('entityId') ?? '',
    from: time(params.get('from')),
    to: time(params.get('to')),
    payloadPath: params.get('pp') ?? '',
    payloadValue: params.get('pv') ?? '',
    page: Math.max(1, int(params.get('page'), 1)),
    pageSize: (PAGE_SIZES as readonly number[]).includes(pageSize) ? pageSize : 25,
    order: params.get('order') === 'oldest' ? 'oldest' : 'newest',
    cursor: params.get('cursor') ?? '',
    tab: (LIST_TABS as readonly string[]).includes(params.get('tab') ?? '')
      ? (params.get('tab') as ListTab)
      : 'entries',
  };
}

export function serializeListState(state: ListState): string {
  const params = new URLSearchParams();
  if (state.status.length > 0) params.set('status', state.status.join(','));
  for (const key of TEXT_KEYS) if (state[key]) params.set(key, state[key]);
  if (state.from !== undefined) params.set('from', String(state.from));
  if (state.to !== undefined) params.set('to', String(state.to));
  if (state.payloadPath) {
    params.set('pp', state.payloadPath);
    params.set('pv', state.payloadValue);
  }
  if (state.page > 1) params.set('page', String(state.page));
  if (state.pageSize !== 25) params.set('pageSize', String(state.pageSize));
  if (state.order !== 'newest') params.set('order', state.order);
  if (state.cursor) params.set('cursor', state.cursor);
  if (state.tab !== 'entries') params.set('tab', state.tab);
  return params.toString();
}

/**
 * A field value as the API reads it: a JSON literal when it parses as one (`42`, `true`, `null`,
 * `"00123"`), else the text itself.
 */
export function coerceValue(raw: string): string | number | boolean | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      return value as string | number | boolean | null;
    }
  } catch {
    // Not a JSON literal: plain text.
  }
  return raw;
}

/** The query-string text the API reads back as `value` (the inverse of {@link coerceValue}). */
export function encodeValue(value: string | number | boolean | null): string {
  if (typeof value === 'string' && coerceValue(value) === value) return value;
  return JSON.stringify(value);
}

/** The API filter of a list state. */
export function toFilter(state: ListState): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (state.status.length > 0) filter.status = [...state.status];
  for (const key of TEXT_KEYS) if (state[key]) filter[key] = state[key];
  if (state.from !== undefined) filter.from = state.from;
  if (state.to !== undefined) filter.to = state.to;
  if (state.payloadPath) {
    const path = state.payloadPath.startsWith('payload.')
      ? state.payloadPath
      : `payload.${state.payloadPath}`;
    filter.where = [{ path, value: coerceValue(state.payloadValue) }];
  }
  return filter;
}

/** What identifies the filter (not page, order or tab): facets and top failures follow it. */
export function filterKey(state: ListState): string {
  return serializeListState({ ...state, page: 1, pageSize: 25, order: 'newest', cursor: '', tab: 'entries' });
}

/** How many filters hidden behind "More filters" are set. */
export function moreFilterCount(state: ListState): number {
  return [
    state.queue,
    state.failureType,
    state.fingerprint,
    state.entityId,
    state.from !== undefined,
    state.to !== undefined,
    state.payloadPath,
  ].filter(Boolean).length;
}

/** Whether any filter (not page or order) is set. */
export function hasFilter(state: ListState): boolean {
  return (
    state.status.length > 0 ||
    TEXT_KEYS.some((k) => state[k] !== '') ||
    state.from !== undefined ||
    state.to !== undefined ||
    state.payloadPath !== ''
  );
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ms -> the value of an `<input type=datetime-local>` (local time). */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}
