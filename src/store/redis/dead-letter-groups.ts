/**
 * Reads the Redis store's per-fingerprint counters: `{p}:dl:g` maps a cell (fingerprint, status,
 * domain, queue, failure type; NUL-separated) to its entry count, kept by the same scripts as every
 * dead-letter change (lib/dead-letters.lua). Top failures and per-queue counts sum these cells.
 */
import type { DeadLetterFilter } from '../dead-letter-store.js';

interface Cell {
  fingerprint: string;
  status: string;
  domain: string;
  queue: string;
  failureType: string;
  n: number;
}

function parseCells(raw: Record<string, string>): Cell[] {
  const cells: Cell[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const n = Number(value);
    if (!(n > 0)) continue;
    const [fingerprint = '', status = '', domain = '', queue = '', failureType = ''] = key.split('\u0000');
    cells.push({ fingerprint, status, domain, queue, failureType, n });
  }
  return cells;
}

function matches(cell: Cell, filter: DeadLetterFilter): boolean {
  if (filter.statuses && filter.statuses.length > 0 && !filter.statuses.includes(cell.status as never))
    return false;
  if (filter.domain !== undefined && cell.domain !== filter.domain) return false;
  if (filter.domains && filter.domains.length > 0 && !filter.domains.includes(cell.domain)) return false;
  if (filter.excludeDomains?.includes(cell.domain)) return false;
  if (filter.queue !== undefined && cell.queue !== filter.queue) return false;
  if (filter.failureType !== undefined && cell.failureType !== filter.failureType) return false;
  if (filter.fingerprint !== undefined && cell.fingerprint !== filter.fingerprint) return false;
  return true;
}

/** The `limit` largest fingerprints matching a filter, and the domains each spans. */
export function sumGroupCells(
  raw: Record<string, string>,
  filter: DeadLetterFilter,
  limit: number,
): { counts: { fingerprint: string; n: number }[]; domains: Map<string, Map<string, number>> } {
  const totals = new Map<string, number>();
  const domains = new Map<string, Map<string, number>>();
  for (const cell of parseCells(raw)) {
    if (!matches(cell, filter)) continue;
    totals.set(cell.fingerprint, (totals.get(cell.fingerprint) ?? 0) + cell.n);
    const spans = domains.get(cell.fingerprint) ?? new Map<string, number>();
    spans.set(cell.domain, (spans.get(cell.domain) ?? 0) + cell.n);
    domains.set(cell.fingerprint, spans);
  }
  const counts = [...totals]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([fingerprint, n]) => ({ fingerprint, n }));
  return { counts, domains };
}

/** Entries per queue (every status), from the counters. */
export function queueCounts(raw: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const cell of parseCells(raw))
    if (cell.queue !== '') out[cell.queue] = (out[cell.queue] ?? 0) + cell.n;
  return out;
}
