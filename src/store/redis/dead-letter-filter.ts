/**
 * Plans dead-letter queries for scan-dead-letters.lua: which time-ordered index to read (the
 * smallest that covers the filter), the time range, and the rest of the filter as JSON for the
 * script's matcher; and the opaque keyset cursor.
 *
 * Indexes: every entry by time; per (status, domain) cell; per queue; per fingerprint; per declared
 * JSON path and value; the word sets of the error-text index (dead-letter-indexes.ts). Statuses
 * and domains narrow to cells; a queue, fingerprint, declared path or search to its own sets;
 * `from`/`to` to a score range of whichever index is read. Every other condition (entity, user,
 * TTL, budget...) is checked by the script on each candidate the index yields; the plan is
 * `bounded` when a JSON path or search text has no index (the caller then examines at most its
 * scan budget of candidates and says so).
 */
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterFilter, JsonFieldFilter } from '../dead-letter-store.js';
import { orderedStatuses } from '../shared/dead-letter-filter.js';
import { checkJsonFilter } from '../shared/json-filter.js';
import type { RedisKeys } from './keys.js';

/** A JSON path segment for the script: an object key or an array index. */
export type PathSegment = { k: string } | { i: number };

function jsonCondition(filter: JsonFieldFilter): Record<string, unknown> {
  const { field, segments, op, value } = checkJsonFilter(filter);
  const path: PathSegment[] = segments.map((s) => (typeof s === 'number' ? { i: s } : { k: s }));
  return { field, path, op, value };
}

function validStatuses(statuses: readonly string[] | undefined): DeadLetterStatus[] | undefined {
  return statuses && statuses.length > 0 ? orderedStatuses(statuses) : undefined;
}

/** The domains a filter allows (undefined: any), folding `domain` and `domains` together. */
function allowedDomains(filter: DeadLetterFilter): string[] | undefined {
  let allowed: string[] | undefined;
  if (filter.domain !== undefined) allowed = [filter.domain];
  if (filter.domains && filter.domains.length > 0) {
    allowed = allowed ? allowed.filter((d) => filter.domains!.includes(d)) : [...new Set(filter.domains)];
  }
  if (allowed && filter.excludeDomains && filter.excludeDomains.length > 0) {
    allowed = allowed.filter((d) => !filter.excludeDomains!.includes(d));
  }
  return allowed;
}

/** A planned scan. */
export interface ScanPlan {
  /** Index keys to merge (disjoint), or dead-letter ids when `kind` is `ids`. */
  kind: 'zsets' | 'ids';
  sources: string[];
  /** Lowest dead-letter time (inclusive), `-inf` when unbounded. */
  min: string;
  /** Highest dead-letter time (exclusive), `+inf` when unbounded. */
  max: string;
  /** The conditions the script checks per candidate, as JSON ('' when the index covers them all). */
  filterJson: string;
  /** Whether nothing matches whatever the data (e.g. every allowed domain excluded). */
  empty: boolean;
  /** Whether a JSON path or search text is checked without an index (a bounded scan). */
  bounded: boolean;
}

/** Facts a plan needs from the store: known domains and index sizes. */
export interface PlanContext {
  domains: readonly string[];
  /** Entries per "status:domain" cell (the maintained counts). */
  counts: ReadonlyMap<string, number>;
  /** Size of an index zset (queue, fingerprint). */
  size(key: string): Promise<number>;
  /** The dead-letter id of a job, if any. */
  byJob(jobId: string): Promise<string | null>;
  /** The declared-path index set holding every entry a JSON condition matches, if one does. */
  pathKey(condition: JsonFieldFilter): string | undefined;
  /** The sorted set of entries not in the search indexes yet (lua/lib/dead-letter-index.lua). */
  indexQueue: string;
  /** The error-text index's sets holding every entry whose message contains `text`, if they can. */
  search(text: string): Promise<{ keys: string[]; size: number } | null>;
}

/** The conditions of a filter as the script's matcher reads them (everything, time included). */
export function residualFilter(filter: DeadLetterFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const statuses = validStatuses(filter.statuses);
  if (statuses) out.statuses = statuses;
  const domains = allowedDomains(filter);
  if (domains) out.domains = domains;
  else if (filter.excludeDomains && filter.excludeDomains.length > 0)
    out.excludeDomains = filter.excludeDomains;
  for (const name of [
    'queue',
    'failureType',
    'entityType',
    'entityId',
    'userId',
    'jobId',
    'fingerprint',
  ] as const) {
    if (filter[name] !== undefined) out[name] = filter[name];
  }
  if (filter.errorText !== undefined && filter.errorText !== '')
    out.errorText = filter.errorText.toLowerCase();
  for (const name of ['from', 'to', 'expiresBefore', 'updatedBefore', 'lastReplayBefore'] as const) {
    const v = filter[name];
    if (v !== undefined) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ValidationError(name, 'must be a number');
      out[name] = v;
    }
  }
  if (filter.belowReplayCap) out.belowReplayCap = true;
  if (filter.json && filter.json.length > 0) out.json = filter.json.map(jsonCondition);
  return out;
}

/** The total of a status/domain-only filter, from the maintained counts. */
export function countFromCounts(filter: DeadLetterFilter, counts: ReadonlyMap<string, number>): number {
  const statuses = validStatuses(filter.statuses);
  const domains = allowedDomains(filter);
  let total = 0;
  for (const [cell, n] of counts) {
    const split = cell.indexOf(':');
    const status = cell.slice(0, split) as DeadLetterStatus;
    const domain = cell.slice(split + 1);
    if (statuses && !statuses.includes(status)) continue;
    if (domains && !domains.includes(domain)) continue;
    total += n;
  }
  return total;
}

/** Chooses the smallest index that covers the filter, and what the script still has to check. */
export async function planScan(
  filter: DeadLetterFilter,
  keys: RedisKeys,
  ctx: PlanContext,
): Promise<ScanPlan> {
  const residual = residualFilter(filter);
  const min = filter.from === undefined ? '-inf' : String(filter.from);
  const max = filter.to === undefined ? '+inf' : String(filter.to);
  const base = { min, max, filterJson: JSON.stringify(residual), empty: false, bounded: false };
  if (filter.jobId !== undefined) {
    const id = await ctx.byJob(filter.jobId);
    return { ...base, kind: 'ids', sources: id ? [id] : [], empty: id === null };
  }
  const options: Option[] = [];
  if (filter.fingerprint !== undefined) {
    const key = keys.deadLetterFingerprint(filter.fingerprint);
    options.push({ sources: [key], size: await ctx.size(key), covers: ['fingerprint'] });
  }
  if (filter.queue !== undefined) {
    const key = keys.deadLetterQueue(filter.queue);
    options.push({ sources: [key], size: await ctx.size(key), covers: ['queue'] });
  }
  let unindexed = false;
  let queued: number | undefined;
  for (const [i, condition] of (filter.json ?? []).entries()) {
    const key = ctx.pathKey(condition);
    if (key === undefined) {
      unindexed = true;
      continue;
    }
    queued ??= await ctx.size(ctx.indexQueue);
    const size = await ctx.size(key);
    // Entries waiting for the index are read too, and the condition checked on each of them.
    if (queued === 0) options.push({ sources: [key], size, covers: [], json: i });
    else options.push({ sources: [key, ctx.indexQueue], size: size + queued, covers: [] });
  }
  if (filter.errorText !== undefined && filter.errorText !== '') {
    const found = await ctx.search(filter.errorText.toLowerCase());
    if (found === null) unindexed = true;
    else options.push({ sources: found.keys, size: found.size, covers: [] });
  }
  const statuses = validStatuses(filter.statuses);
  const domains = allowedDomains(filter);
  const excluding = filter.excludeDomains !== undefined && filter.excludeDomains.length > 0;
  if (statuses || domains || excluding) {
    const cellDomains = (domains ?? ctx.domains).filter((d) => !filter.excludeDomains?.includes(d));
    const sources: string[] = [];
    let size = 0;
    for (const status of statuses ?? DEAD_LETTER_STATUSES) {
      for (const domain of cellDomains) {
        const n = ctx.counts.get(`${status}:${domain}`) ?? 0;
        if (n > 0) {
          sources.push(keys.deadLetterCell(status, domain));
          size += n;
        }
      }
    }
    options.push({ sources, size, covers: ['statuses', 'domains', 'excludeDomains'] });
  }
  if (options.length === 0) {
    return {
      ...base,
      kind: 'zsets',
      sources: [keys.deadLetterAll],
      filterJson: emptyAsBlank(residual, { sources: [], size: 0, covers: [] }),
      bounded: unindexed,
    };
  }
  options.sort((a, b) => a.size - b.size);
  const best = options[0]!;
  if (best.sources.length === 0 || best.size === 0)
    return { ...base, kind: 'zsets', sources: [], empty: true };
  return {
    ...base,
    kind: 'zsets',
    sources: best.sources,
    filterJson: emptyAsBlank(residual, best),
    bounded: unindexed,
  };
}

/** An index a plan may read: its sets, their entries, and the conditions it guarantees. */
interface Option {
  sources: string[];
  size: number;
  covers: string[];
  /** The JSON condition (by position) a declared-path index guarantees. */
  json?: number;
}

/** The residual filter minus what the chosen index guarantees (time is the score range), or ''. */
function emptyAsBlank(residual: Record<string, unknown>, chosen: Option): string {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(residual)) {
    if (chosen.covers.includes(key) || key === 'from' || key === 'to') continue;
    if (key === 'json' && chosen.json !== undefined) {
      const others = (value as unknown[]).filter((_, i) => i !== chosen.json);
      if (others.length > 0) rest.json = others;
      continue;
    }
    rest[key] = value;
  }
  return Object.keys(rest).length === 0 ? '' : JSON.stringify(rest);
}

/** A dead-letter index member (`<16-digit sequence>...`), the tiebreak of Redis cursors. */
export const isIndexMember = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{16}/.test(value);
