/**
 * The read side of the Redis dead-letter store: single entries, filtered pages (offset or keyset),
 * totals, facets, failure groups, stats and the audit trail. Filters are planned onto the
 * time-ordered sorted-set indexes by dead-letter-query.ts; the conditions no index covers are
 * checked inside scan-dead-letters.lua, at most {@link SCAN_BUDGET} candidates per script call
 * (Redis is never blocked for long) and at most `maxScan` per query (a broader query is refused).
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
];

/** How the dead-letter half reaches Redis (provided by RedisStore). */
export interface DeadLetterBackend {
  client: RedisClient;
  keys: RedisKeys;
  /** Runs a call, translating connection failures to StoreUnavailableError. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** Most candidates one query may examine before it is refused. */
  maxScan: number;
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
    const id = await this.b.call('getDeadLetterByJob', () =>
      this.b.client.hget(this.keys.deadLetterJobs, params.jobId),
    );
    return id === null ? null : this.getDeadLetter({ id });
  }

  private async getMany(ids: readonly string[]): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const pipeline = this.b.client.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.deadLetter(id));
    const replies = await this.b.call('getDeadLetters', () => pipeline.exec());
    const out: DeadLetter[] = [];
    for (const [error, hash] of replies ?? []) {
      if (error) throw error;
      const h = hash as Record<string, string>;
      if (h && Object.keys(h).length > 0) out.push(deadLetterFromHash(h));
    }
    return out;
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
    const [counts, domains] = await Promise.all([
      this.counts(),
      this.b.call('domains', () => this.b.client.smembers(this.keys.deadLetterDomains)),
    ]);
    return {
      counts,
      domains,
      size: (key) => this.b.call('zcard', () => this.b.client.zcard(key)),
      byJob: (jobId) => this.b.call('byJob', () => this.b.client.hget(this.keys.deadLetterJobs, jobId)),
    };
  }

  /** One call of scan-dead-letters.lua. */
  private async scanOnce(
    plan: ScanPlan,
    mode: 'ids' | 'count' | 'groups',
    order: 'newest' | 'oldest',
    position: { score: string; member: string } | undefined,
    want: number,
    skip: number,
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
        SCAN_BUDGET,
        plan.kind,
        plan.sources,
      ],
    )) as ScanReply;
    return reply;
  }

  /**
   * Runs a scan to its end (or until `want` matches): the matches in order, skipping `skip` first.
   * Refuses a query that would examine more than `maxScan` candidates.
   */
  private async scan(
    plan: ScanPlan,
    mode: 'ids' | 'count' | 'groups',
    order: 'newest' | 'oldest',
    options: { want: number; skip: number; after?: { score: string; member: string }; budget?: number },
  ): Promise<{ results: unknown[]; matched: number; examined: number; complete: boolean }> {
    const results: unknown[] = [];
    let matched = 0;
    if (plan.empty || (plan.kind === 'zsets' && plan.sources.length === 0))
      return { results, matched, examined: 0, complete: true };
    let skip = options.skip;
    let position = options.after;
    let examinedCalls = 0;
    for (;;) {
      const want = mode === 'count' ? 0 : options.want - results.length;
      if (mode !== 'count' && want <= 0) break;
      const [state, score, member, skipped, n, page] = await this.scanOnce(
        plan,
        mode,
        order,
        position,
        want,
        skip,
      );
      skip -= Number(skipped);
      matched += Number(n);
      results.push(...page);
      if (state === 'end') break;
      if (score !== '') position = { score, member };
      examinedCalls++;
      if (options.budget !== undefined && examinedCalls * SCAN_BUDGET >= options.budget) {
        return { results, matched, examined: examinedCalls * SCAN_BUDGET, complete: false };
      }
      if (examinedCalls * SCAN_BUDGET > this.b.maxScan) {
        throw new ValidationError(
          'filter',
          `this dead-letter query examines more than ${this.b.maxScan} entries on the Redis store; narrow it with statuses, a domain, a queue, a fingerprint or a time range (from/to)`,
        );
      }
    }
    return { results, matched, examined: examinedCalls * SCAN_BUDGET, complete: true };
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
    const total = withTotal === false ? null : await this.count(filter, plan, ctx.counts);
    if (limit === 0) return { items: [], total, nextCursor: null };
    const offset = cursor ? 0 : Math.max(0, Math.floor(params.offset ?? 0));
    const { results } = await this.scan(plan, 'ids', order, {
      want: limit,
      skip: offset,
      ...(cursor ? { after: { score: String(cursor.at), member: cursor.tiebreak } } : {}),
    });
    const items = await this.getMany(results as string[]);
    let nextCursor: string | null = null;
    if (results.length === limit && items.length > 0) {
      const last = items[items.length - 1]!;
      const member = await this.b.call('member', () =>
        this.b.client.hget(this.keys.deadLetter(last.id), 'member'),
      );
      if (member) nextCursor = encodeCursor({ at: last.deadLetteredAt, tiebreak: member, order });
    }
    return { items, total, nextCursor };
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
