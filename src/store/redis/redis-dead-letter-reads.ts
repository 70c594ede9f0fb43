/**
 * The read side of the Redis dead-letter store: single entries, filtered pages (offset or keyset),
 * totals, facets, failure groups, stats and the audit trail. Filters are planned onto the
 * time-ordered sorted-set indexes by dead-letter-filter.ts; the conditions no index covers are
 * checked inside scan-dead-letters.lua, at most {@link SCAN_BUDGET} candidates per script call
 * (Redis is never blocked for long) and at most `maxScan` per query (a broader query is refused).
 * A JSON path or search text that no index serves is checked on at most `scanBudget` candidates,
 * and the page says how many it examined (as on the other stores).
 */

import type { DeadLetter, DeadLetterAuditEntry, DeadLetterStatus } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { RedisClient } from '../../redis/client-options.js';
import type {
  DeadLetterFacets,
  DeadLetterFilter,
  DeadLetterPage,
  DeadLetterStoreStats,
  FailureGroup,
  ListAuditParams,
  ListDeadLettersParams,
  TopFailures,
} from '../dead-letter-store.js';
import { countableFromGroups, domainSpans } from '../failure-groups.js';
import { cellsFromKeys, facetsFromCells, totalsFromCells } from '../shared/count-cells.js';
import { countableFromCounts } from '../shared/dead-letter-filter.js';
import { decodeCursor, encodeCursor } from '../shared/keyset-cursor.js';
import { auditFromJson, deadLetterFromHash } from './dead-letter-codec.js';
import {
  countFromCounts,
  isIndexMember,
  type PlanContext,
  planScan,
  type ScanPlan,
} from './dead-letter-filter.js';
import { queueCounts, sumGroupCells } from './dead-letter-groups.js';
import type { DeadLetterIndexes } from './dead-letter-indexes.js';
import { fieldsToRecord } from './job-codec.js';
import type { RedisKeys } from './keys.js';
import { runScript, type ScriptName } from './scripts.js';

/** Candidates one scan call examines at most. */
export const SCAN_BUDGET = 1000;

/** Most entries one top-failures query groups when the counters cannot answer its filter. */
export const TOP_FAILURES_SCAN_BUDGET = 50_000;

type ScanReply = [
  state: 'more' | 'end',
  score: string,
  member: string,
  skipped: number,
  matched: number,
  results: unknown[],
  examined: number,
];

/** A hash as a flat field/value list (HGETALL in a script). */
type Flat = (string | null)[];

/** Where a scan stopped: the last candidate it examined. */
type Position = { score: string; member: string };

/** How the dead-letter half reaches Redis (provided by RedisStore). */
export interface DeadLetterBackend {
  client: RedisClient;
  keys: RedisKeys;
  /** Runs a call, translating connection failures to StoreUnavailableError. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** Most candidates one query may examine before it is refused. */
  maxScan: number;
  /** Most candidates a query examines for a JSON path or search text no index serves. */
  scanBudget: number;
  /** The declared-path and error-text indexes. */
  indexes: DeadLetterIndexes;
}

/** Runs one of the store's scripts for the dead-letter half, its key prefix first among the arguments. */
export function runDeadLetterScript(
  b: DeadLetterBackend,
  name: ScriptName,
  keys: string[],
  args: (string | number | (string | number)[])[],
): Promise<unknown> {
  return b.call(name, () => runScript(b.client, name, keys, [b.keys.base, ...args]) as Promise<unknown>);
}

const clampLimit = (limit: number) => Math.max(0, Math.floor(Number.isFinite(limit) ? limit : 0));

export class RedisDeadLetterReads {
  constructor(private readonly b: DeadLetterBackend) {}

  private get keys(): RedisKeys {
    return this.b.keys;
  }

  async getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    const hash = await this.b.call('getDeadLetter', () =>
      this.b.client.hgetall(this.keys.deadLetter(params.id)),
    );
    return hash && Object.keys(hash).length > 0 ? deadLetterFromHash(hash) : null;
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    const id = await this.deadLetterIdOfJob(params.jobId);
    return id === null ? null : this.getDeadLetter({ id });
  }

  /**
   * The id of a job's dead letter: its link in `{p}:dl:job`, else the job's own `dl` field (at
   * format 4 a failing job's dead letter is linked only there while the job exists, and
   * remove-jobs.lua writes the link before it deletes the job). The job is read first, so a removal
   * between the two reads leaves the link for the second. May name an entry purged since.
   */
  private deadLetterIdOfJob(jobId: string): Promise<string | null> {
    return this.b.call('deadLetterIdOfJob', async () => {
      const replies = await this.b.client
        .pipeline()
        .hget(this.keys.job(jobId), 'dl')
        .hget(this.keys.deadLetterJobs, jobId)
        .exec();
      for (const [error] of replies ?? []) if (error) throw error;
      const own = replies?.[0]?.[1] as string | null | undefined;
      const linked = replies?.[1]?.[1] as string | null | undefined;
      return linked || own || null;
    });
  }

  /** The maintained (status, domain) counts. */
  private async counts(): Promise<Map<string, number>> {
    const raw = await this.b.call('counts', () => this.b.client.hgetall(this.keys.deadLetterCounts));
    const counts = new Map<string, number>();
    for (const [cell, n] of Object.entries(raw ?? {})) {
      const value = Number(n);
      if (value > 0) counts.set(cell, value);
    }
    return counts;
  }

  private async context(): Promise<PlanContext & { counts: Map<string, number> }> {
    const [counts, domains, ready] = await Promise.all([
      this.counts(),
      this.b.call('domains', () => this.b.client.smembers(this.keys.deadLetterDomains)),
      this.b.indexes.readyPaths(),
    ]);
    return {
      counts,
      domains,
      size: (key) => this.b.call('zcard', () => this.b.client.zcard(key)),
      byJob: (jobId) => this.deadLetterIdOfJob(jobId),
      pathKey: (condition) => this.b.indexes.pathIndexKey(condition, ready),
      indexQueue: `${this.keys.base}dl:ixq`,
      search: (text) => this.b.indexes.searchSources(text, this.b.scanBudget),
    };
  }

  /** One call of scan-dead-letters.lua. */
  private async scanOnce(
    plan: ScanPlan,
    mode: 'ids' | 'rows' | 'count' | 'groups',
    order: 'newest' | 'oldest',
    position: Position | undefined,
    want: number,
    skip: number,
    budget: number,
  ): Promise<ScanReply> {
    const reply = (await runDeadLetterScript(
      this.b,
      'scan-dead-letters',
      [this.keys.deadLetterAll],
      [
        mode,
        order,
        position?.score ?? '',
        position?.member ?? '',
        plan.min,
        plan.max,
        plan.filterJson,
        want,
        skip,
        budget,
        plan.kind,
        plan.sources,
      ],
    )) as ScanReply;
    return reply;
  }

  /**
   * Runs a scan to its end (or until `want` matches): the matches in order, skipping `skip` first.
   * With a `budget`, stops after examining that many candidates; without, refuses a query that
   * would examine more than `maxScan`. `complete`: every candidate was examined; `position`: the
   * last one examined.
   */
  private async scan(
    plan: ScanPlan,
    mode: 'ids' | 'rows' | 'count' | 'groups',
    order: 'newest' | 'oldest',
    options: { want: number; skip: number; after?: Position; budget?: number },
  ): Promise<{
    results: unknown[];
    matched: number;
    examined: number;
    complete: boolean;
    position?: Position;
  }> {
    const results: unknown[] = [];
    let matched = 0;
    let examined = 0;
    if (plan.empty || (plan.kind === 'zsets' && plan.sources.length === 0))
      return { results, matched, examined, complete: true };
    let skip = options.skip;
    let position = options.after;
    let ended = false;
    for (;;) {
      const want = mode === 'count' ? 0 : options.want - results.length;
      if (mode !== 'count' && want <= 0) break;
      const left = options.budget === undefined ? SCAN_BUDGET : options.budget - examined;
      const [state, score, member, skipped, n, page, seen] = await this.scanOnce(
        plan,
        mode,
        order,
        position,
        want,
        skip,
        Math.min(SCAN_BUDGET, left),
      );
      skip -= Number(skipped);
      matched += Number(n);
      examined += Number(seen);
      results.push(...page);
      if (score !== '') position = { score, member };
      if (state === 'end') {
        ended = true;
        break;
      }
      if (options.budget !== undefined && examined >= options.budget) {
        return { results, matched, examined, complete: false, ...(position ? { position } : {}) };
      }
      if (options.budget === undefined && examined > this.b.maxScan) {
        throw new ValidationError(
          'filter',
          `this dead-letter query examines more than ${this.b.maxScan} entries on the Redis store; narrow it with statuses, a domain, a queue, a fingerprint or a time range (from/to)`,
        );
      }
    }
    return { results, matched, examined, complete: ended, ...(position ? { position } : {}) };
  }

  private async count(
    filter: DeadLetterFilter,
    plan: ScanPlan,
    counts: Map<string, number>,
  ): Promise<number> {
    if (plan.empty) return 0;
    if (countableFromCounts(filter)) return countFromCounts(filter, counts);
    if (plan.kind === 'zsets' && plan.filterJson === '') {
      const max = plan.max === '+inf' ? '+inf' : `(${plan.max}`;
      const pipeline = this.b.client.pipeline();
      for (const key of plan.sources) pipeline.zcount(key, plan.min, max);
      const replies = await this.b.call('zcount', () => pipeline.exec());
      return (replies ?? []).reduce((sum, [error, n]) => {
        if (error) throw error;
        return sum + Number(n);
      }, 0);
    }
    return (await this.scan(plan, 'count', 'newest', { want: 0, skip: 0 })).matched;
  }

  async listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    const order = params.order ?? 'newest';
    if (order !== 'newest' && order !== 'oldest')
      throw new ValidationError('order', "must be 'newest' or 'oldest'");
    const limit = clampLimit(params.limit);
    const cursor = params.cursor === undefined ? undefined : decodeCursor(params.cursor, isIndexMember);
    if (cursor && cursor.order !== order) throw new ValidationError('cursor', 'was made for the other order');
    const { limit: _l, offset: _o, cursor: _c, order: _r, withTotal, ...filter } = params;
    const ctx = await this.context();
    const plan = await planScan(filter, this.keys, ctx);
    const offset = cursor ? 0 : Math.max(0, Math.floor(params.offset ?? 0));
    const after = cursor ? { after: { score: String(cursor.at), member: cursor.tiebreak } } : {};
    if (plan.bounded) return this.listBounded(plan, order, limit, offset, after, withTotal !== false);
    const total = withTotal === false ? null : await this.count(filter, plan, ctx.counts);
    if (limit === 0) return { items: [], total, nextCursor: null };
    const scanned = await this.scan(plan, 'rows', order, { want: limit, skip: offset, ...after });
    return { ...this.page(scanned, limit, order), total };
  }

  /**
   * A page of entries (the scan's rows) and the cursor after its last one when the page is full
   * (the scan stopped on it: its position is that entry's).
   */
  private page(
    scanned: { results: unknown[]; position?: Position },
    limit: number,
    order: 'newest' | 'oldest',
  ): { items: DeadLetter[]; nextCursor: string | null } {
    const items = (scanned.results as Flat[]).map((row) => deadLetterFromHash(fieldsToRecord(row)));
    const full = items.length === limit && items.length > 0 && scanned.position !== undefined;
    const nextCursor = full
      ? encodeCursor({
          at: items[items.length - 1]!.deadLetteredAt,
          tiebreak: scanned.position!.member,
          order,
        })
      : null;
    return { items, nextCursor };
  }

  /**
   * A page whose JSON path or search text no index serves: the first `scanBudget` candidates (in
   * the requested order, after the cursor) that the indexed conditions select are examined, and
   * the page, the total and the report come from those. When the page is short and candidates
   * remain, `nextCursor` continues after the last one examined.
   */
  private async listBounded(
    plan: ScanPlan,
    order: 'newest' | 'oldest',
    limit: number,
    offset: number,
    after: { after?: Position },
    withTotal: boolean,
  ): Promise<DeadLetterPage> {
    const budget = this.b.scanBudget;
    const counted = withTotal
      ? await this.scan(plan, 'count', order, { want: 0, skip: 0, budget, ...after })
      : undefined;
    const listed =
      limit === 0
        ? undefined
        : await this.scan(plan, 'rows', order, { want: limit, skip: offset, budget, ...after });
    const window = counted ?? listed;
    const scan = {
      examined: window?.examined ?? 0,
      budget,
      complete: window?.complete ?? true,
    };
    const total = counted ? counted.matched : null;
    if (!listed) return { items: [], total, nextCursor: null, scan };
    const page = this.page(listed, limit, order);
    if (page.nextCursor === null && !listed.complete && listed.position) {
      // Candidates remain past the budget: continue after the last one examined.
      const { score, member } = listed.position;
      page.nextCursor = encodeCursor({ at: Number(score), tiebreak: member, order });
    }
    return { ...page, total, scan };
  }

  async facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    const counts = await this.counts();
    return facetsFromCells(cellsFromKeys(counts), params);
  }

  async topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures> {
    const { limit: rawLimit, ...filter } = params;
    const limit = Math.max(1, Math.floor(rawLimit));
    if (countableFromGroups(filter)) {
      const cells = await this.b.call('groups', () => this.b.client.hgetall(this.keys.deadLetterGroups));
      const { counts, domains } = sumGroupCells(cells ?? {}, filter, limit);
      return { groups: await this.failureGroups(counts, domains), scan: null };
    }
    // Other conditions: group the newest matching entries, at most a budget of them.
    const plan = await planScan(filter, this.keys, await this.context());
    const { results, examined, complete } = await this.scan(plan, 'groups', 'newest', {
      want: Number.MAX_SAFE_INTEGER,
      skip: 0,
      budget: TOP_FAILURES_SCAN_BUDGET,
    });
    const counts = new Map<string, number>();
    const domains = new Map<string, Map<string, number>>();
    for (const row of results as (string | null)[][]) {
      const fingerprint = row[0]!;
      const domain = row[5] ?? '';
      counts.set(fingerprint, (counts.get(fingerprint) ?? 0) + 1);
      const spans = domains.get(fingerprint) ?? new Map<string, number>();
      spans.set(domain, (spans.get(domain) ?? 0) + 1);
      domains.set(fingerprint, spans);
    }
    const top = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([fingerprint, n]) => ({ fingerprint, n }));
    return {
      groups: await this.failureGroups(top, domains),
      scan: { examined, budget: TOP_FAILURES_SCAN_BUDGET, complete },
    };
  }

  /** Failure groups with their identity and sightings. */
  private async failureGroups(
    counts: { fingerprint: string; n: number }[],
    domains: Map<string, Map<string, number>>,
  ): Promise<FailureGroup[]> {
    if (counts.length === 0) return [];
    const ids = counts.map((c) => c.fingerprint);
    const pipeline = this.b.client.pipeline();
    pipeline.hmget(this.keys.deadLetterGroupIdentity, ...ids);
    pipeline.hmget(this.keys.deadLetterGroupFirst, ...ids);
    pipeline.hmget(this.keys.deadLetterGroupLast, ...ids);
    const replies = (await this.b.call('groupIdentity', () => pipeline.exec())) ?? [];
    for (const [error] of replies) if (error) throw error;
    const [identity, first, last] = replies.map((r) => r[1] as (string | null)[]);
    return counts.map(({ fingerprint, n }, i) => {
      const id = identity![i]
        ? (JSON.parse(identity![i]!) as { c: string | null; m: string; f: string | null })
        : null;
      const latest = last![i] ?? '';
      const split = latest.indexOf(':');
      const spans = domainSpans(domains.get(fingerprint) ?? new Map<string, number>());
      return {
        fingerprint,
        count: n,
        firstSeenAt: Number(first![i] ?? 0),
        lastSeenAt: split > 0 ? Number(latest.slice(0, split)) : 0,
        sampleId: split > 0 ? latest.slice(split + 1) : '',
        errorClass: id?.c ?? null,
        errorMessage: id?.m ?? '',
        normalizedMessage: id?.m ?? '',
        frame: id?.f ?? null,
        domain: spans[0]?.domain ?? '',
        domains: spans,
      };
    });
  }

  async getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    const [counts, domains] = await Promise.all([
      this.counts(),
      this.b.call('domains', () => this.b.client.smembers(this.keys.deadLetterDomains)),
    ]);
    const { total, byStatus, byDomain } = totalsFromCells(cellsFromKeys(counts));
    const pipeline = this.b.client.pipeline();
    const pendingDomains = domains.filter((d) => (counts.get(`pending:${d}`) ?? 0) > 0);
    for (const domain of pendingDomains)
      pipeline.zrange(this.keys.deadLetterCell('pending', domain), '0', '0', 'WITHSCORES');
    pipeline.scard(this.keys.deadLetterAtCap);
    pipeline.zcount(this.keys.deadLetterExpiry, '-inf', params.now);
    pipeline.hget(this.keys.deadLetterTally, 'purged');
    pipeline.hgetall(this.keys.deadLetterGroups);
    const replies = (await this.b.call('getDeadLetterStats', () => pipeline.exec())) ?? [];
    for (const [error] of replies) if (error) throw error;
    let oldestPendingAt: number | null = null;
    for (let i = 0; i < pendingDomains.length; i++) {
      const first = replies[i]![1] as string[];
      if (first.length >= 2) {
        const at = Number(first[1]);
        if (oldestPendingAt === null || at < oldestPendingAt) oldestPendingAt = at;
      }
    }
    const tail = replies.slice(pendingDomains.length);
    return {
      total,
      byStatus,
      byDomain,
      oldestPendingAt,
      replayable: byStatus.pending - Number(tail[0]![1]),
      dueForExpiry: Number(tail[1]![1]),
      purgedTotal: Number(tail[2]![1] ?? 0),
      byQueue: queueCounts((tail[3]![1] as Record<string, string> | null) ?? {}),
    };
  }

  async listAudit(
    params: ListAuditParams,
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    const limit = Math.max(1, Math.floor(params.limit));
    const items: DeadLetterAuditEntry[] = [];
    let before = params.before === undefined ? '' : String(params.before);
    for (;;) {
      const [entries, next] = (await runDeadLetterScript(
        this.b,
        'list-audit',
        [this.keys.auditAll],
        [
          params.deadLetterId ?? '',
          params.action ?? '',
          params.actor ?? '',
          before,
          limit - items.length,
          SCAN_BUDGET,
          params.action === '' ? '1' : '0',
          params.actor === '' ? '1' : '0',
        ],
      )) as [[string | number, string][], string];
      for (const [seq, json] of entries) items.push(auditFromJson(seq, json));
      if (items.length >= limit || next === 'end') break;
      before = String(next);
    }
    return { items, nextBefore: items.length === limit ? items[items.length - 1]!.seq : null };
  }
}
