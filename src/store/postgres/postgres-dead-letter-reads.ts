/**
 * The read side of the PostgreSQL dead-letter store: filtered pages (offset or keyset), totals from
 * the trigger-maintained counts table when the filter allows, facets, failure groups, stats and the
 * audit trail. Nothing here loads more rows than it returns.
 */
import type { DeadLetter, DeadLetterAuditEntry, DeadLetterStatus } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
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
import { DUE_FOR_EXPIRY_COUNT_CAP } from '../dead-letter-store.js';
import { dueForExpiry } from '../due-for-expiry.js';
import { countableFromGroups, domainSpans, failureIdentity } from '../failure-groups.js';

/** Most entries one top-failures query groups when the counters cannot answer its filter. */
export const TOP_FAILURES_SCAN_BUDGET = 50_000;

import { facetsFromCells, totalsFromCells } from '../shared/count-cells.js';
import { countableFromCounts, statusCondition } from '../shared/dead-letter-filter.js';
import { decodeCursor, encodeCursor, isSequence } from '../shared/keyset-cursor.js';
import { buildWhere, ordering, SqlParams } from './dead-letter-filter.js';
import { type AuditRow, auditFromRow, type DeadLetterRow, deadLetterFromRow } from './dead-letter-rows.js';
import { type ErrorTextPlan, ErrorTextPlanner } from './error-text-plan.js';
import type { PostgresConnection } from './postgres-connection.js';

type CountCell = { domain: string; status: DeadLetterStatus; n: number };

/** Dead-letter queries on one connection. */
export class PostgresDeadLetterReads {
  private readonly searches: ErrorTextPlanner;

  constructor(private readonly conn: PostgresConnection) {
    this.searches = new ErrorTextPlanner(conn);
  }

  /** How the filter's error text is asked of the trigram index (none without error text). */
  private searchPlan(filter: DeadLetterFilter): Promise<ErrorTextPlan | undefined> {
    const text = filter.errorText;
    return text === undefined || text === '' ? Promise.resolve(undefined) : this.searches.plan(text);
  }

  private get table(): string {
    return `"${this.conn.schema}".dead_letters`;
  }

  /** A table of the store's schema, quoted. */
  private tableNamed(name: string): string {
    return `"${this.conn.schema}".${name}`;
  }

  async getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    const [row] = await this.conn.run<DeadLetterRow>('dead-letters', 'get', [params.id]);
    return row ? deadLetterFromRow(row) : null;
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    const [row] = await this.conn.run<DeadLetterRow>('dead-letters', 'getByJob', [params.jobId]);
    return row ? deadLetterFromRow(row) : null;
  }

  async listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    const order = params.order ?? 'newest';
    const limit = Math.max(0, Math.floor(params.limit));
    const { limit: _l, offset: _o, cursor: _c, order: _r, withTotal, ...filter } = params;
    const search = await this.searchPlan(filter);
    // The total and the page are independent reads: sent at once, on two pooled connections, a
    // total that has to count (an error-text search) costs no wait of its own.
    const totalRead = withTotal === false ? Promise.resolve(null) : this.count(filter, search);
    // Awaited below; this keeps a failed count from being reported unhandled when a bad cursor
    // throws first.
    totalRead.catch(() => {});
    if (limit === 0) return { items: [], total: await totalRead, nextCursor: null };
    const p = new SqlParams();
    let extra: string[] = [];
    let orderBy: string;
    if (params.cursor !== undefined) {
      const cursor = decodeCursor(params.cursor, isSequence);
      if (cursor.order !== order) throw new ValidationError('cursor', 'was made for the other order');
      const o = ordering(order, p, cursor);
      orderBy = o.orderBy;
      extra = [o.after!];
    } else {
      orderBy = ordering(order).orderBy;
    }
    const where = buildWhere(filter, p, extra, search);
    const offset = params.cursor === undefined ? Math.max(0, Math.floor(params.offset ?? 0)) : 0;
    const [total, rows] = await Promise.all([
      totalRead,
      this.conn.query<DeadLetterRow>(
        'list dead letters',
        `SELECT * FROM ${this.table} ${where} ${orderBy} LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`,
        p.args,
      ),
    ]);
    const last = rows.at(-1);
    const nextCursor =
      rows.length === limit && last
        ? encodeCursor({ at: last.dead_lettered_at, tiebreak: last.seq, order })
        : null;
    return { items: rows.map(deadLetterFromRow), total, nextCursor };
  }

  /** Counts matching rows; status/domain-only filters read the counts table. */
  private async count(filter: DeadLetterFilter, search: ErrorTextPlan | undefined): Promise<number> {
    const p = new SqlParams();
    if (countableFromCounts(filter)) {
      const where: string[] = [];
      if (filter.statuses && filter.statuses.length > 0) where.push(statusCondition(filter.statuses));
      if (filter.domain !== undefined) where.push(`domain = ${p.add(filter.domain)}`);
      if (filter.domains && filter.domains.length > 0)
        where.push(`domain = ANY(${p.add([...filter.domains])}::text[])`);
      const [row] = await this.conn.query<{ n: number }>(
        'count dead letters',
        `SELECT COALESCE(sum(n), 0) AS n FROM "${this.conn.schema}".dead_letter_counts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        p.args,
      );
      return row?.n ?? 0;
    }
    const where = buildWhere(filter, p, [], search);
    // Queue, failure type and fingerprint (with statuses and domains) are the columns of the
    // per-fingerprint counters: a few rows summed instead of counting (at 1M) 200 000 entries.
    // An empty queue name stands for "no queue" there, so it is counted on the entries.
    const fromGroups = countableFromGroups(filter) && filter.queue !== '';
    const [row] = await this.conn.query<{ n: number }>(
      'count dead letters',
      fromGroups
        ? `SELECT COALESCE(sum(n), 0) AS n FROM ${this.tableNamed('dead_letter_groups')} ${where}`
        : `SELECT count(*) AS n FROM ${this.table} ${where}`,
      p.args,
    );
    return row?.n ?? 0;
  }

  private counts(): Promise<CountCell[]> {
    return this.conn.run<CountCell>('dead-letters', 'counts', []);
  }

  async facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    return facetsFromCells(await this.counts(), params);
  }

  /**
   * Top failures. Filters on statuses, domains, queue, failure type and fingerprint sum the
   * trigger-kept counter cells (dead_letter_groups); any other condition groups the newest
   * matching entries, at most {@link TOP_FAILURES_SCAN_BUDGET} of them, and says so. Each group's
   * identity comes from its latest entry.
   */
  async topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures> {
    const { limit: rawLimit, ...filter } = params;
    const limit = Math.max(1, Math.floor(rawLimit));
    const p = new SqlParams();
    const where = buildWhere(filter, p, [], await this.searchPlan(filter));
    const countable = countableFromGroups(filter);
    const source = countable
      ? `SELECT fingerprint, domain, n FROM ${this.tableNamed('dead_letter_groups')} ${where}`
      : `SELECT fingerprint, domain, 1 AS n FROM (SELECT fingerprint, domain FROM ${this.table} ${where}
           ORDER BY dead_lettered_at DESC LIMIT ${TOP_FAILURES_SCAN_BUDGET}) w`;
    const rows = await this.conn.query<{ fingerprint: string; domain: string; n: number; total: number }>(
      'top dead-letter failures',
      `WITH s AS (${source}),
            top AS (SELECT fingerprint, sum(n) AS total FROM s GROUP BY fingerprint HAVING sum(n) > 0
                     ORDER BY total DESC, fingerprint LIMIT ${p.add(limit)})
       SELECT s.fingerprint, s.domain, sum(s.n)::bigint AS n, top.total::bigint AS total FROM s JOIN top USING (fingerprint)
        GROUP BY s.fingerprint, s.domain, top.total`,
      p.args,
    );
    const examined = countable
      ? null
      : (
          await this.conn.query<{ n: number }>(
            'top dead-letter failures scanned',
            `SELECT count(*)::bigint AS n FROM (SELECT 1 FROM ${this.table} ${where} LIMIT ${TOP_FAILURES_SCAN_BUDGET}) w`,
            p.args.slice(0, -1),
          )
        )[0]!.n;
    const totals = new Map<string, number>();
    const spans = new Map<string, Map<string, number>>();
    for (const r of rows) {
      totals.set(r.fingerprint, Number(r.total));
      const m = spans.get(r.fingerprint) ?? new Map<string, number>();
      m.set(r.domain, Number(r.n));
      spans.set(r.fingerprint, m);
    }
    const order = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const seen = await this.conn.query<{
      fingerprint: string;
      first_seen: number;
      last_seen: number;
      sample_id: string;
      error_class: string | null;
      error_message: string | null;
      error_stack: string | null;
      fingerprint_version: number | null;
      sample_found: boolean | null;
    }>(
      'failure group identities',
      `SELECT f.fingerprint, f.first_seen, f.last_seen, f.sample_id, d.error_class, d.error_message, d.error_stack,
              d.fingerprint_version, d.id IS NOT NULL AS sample_found
         FROM ${this.tableNamed('dead_letter_fingerprints')} f
         LEFT JOIN ${this.table} d ON d.id = f.sample_id
        WHERE f.fingerprint = ANY($1)`,
      [order.map(([f]) => f)],
    );
    const byFingerprint = new Map(seen.map((r) => [r.fingerprint, r]));
    const groups: FailureGroup[] = order.map(([fingerprint, count]) => {
      const r = byFingerprint.get(fingerprint);
      const identity = failureIdentity({
        errorClass: r?.error_class ?? null,
        errorMessage: r?.error_message ?? '',
        errorStack: r?.error_stack ?? null,
      });
      const domains = domainSpans(spans.get(fingerprint) ?? new Map<string, number>());
      return {
        fingerprint,
        count,
        firstSeenAt: Number(r?.first_seen ?? 0),
        lastSeenAt: Number(r?.last_seen ?? 0),
        sampleId: r?.sample_id ?? '',
        errorClass: identity.errorClass,
        errorMessage: identity.normalizedMessage,
        normalizedMessage: identity.normalizedMessage,
        frame: identity.frame,
        domain: domains[0]?.domain ?? '',
        domains,
        sample: r?.sample_found
          ? {
              errorClass: r.error_class,
              errorMessage: r.error_message ?? '',
              errorStack: r.error_stack,
              fingerprintVersion: Number(r.fingerprint_version),
            }
          : null,
      };
    });
    if (examined === null) return { groups, scan: null };
    const n = Number(examined);
    return {
      groups,
      scan: { examined: n, budget: TOP_FAILURES_SCAN_BUDGET, complete: n < TOP_FAILURES_SCAN_BUDGET },
    };
  }

  async getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    // Three small reads at once: one round trip's wait instead of three.
    const [cells, [extra], queues] = await Promise.all([
      this.counts(),
      this.conn.run<{
        oldest_pending: number | null;
        pending_at_cap: number;
        due_for_expiry: number;
        purged: number | null;
      }>('dead-letters', 'stats', [params.now, DUE_FOR_EXPIRY_COUNT_CAP + 1]),
      this.conn.query<{ queue: string; n: number }>(
        'dead letters by queue',
        `SELECT queue, sum(n)::bigint AS n FROM ${this.tableNamed('dead_letter_groups')}
          WHERE queue <> '' GROUP BY queue HAVING sum(n) > 0`,
        [],
      ),
    ]);
    const { total, byStatus, byDomain } = totalsFromCells(cells);
    return {
      total,
      byStatus,
      byDomain,
      oldestPendingAt: extra?.oldest_pending ?? null,
      replayable: byStatus.pending - (extra?.pending_at_cap ?? 0),
      ...dueForExpiry(Number(extra?.due_for_expiry ?? 0)),
      purgedTotal: extra?.purged ?? 0,
      byQueue: Object.fromEntries(queues.map((r) => [r.queue, Number(r.n)])),
    };
  }

  async listAudit(
    params: ListAuditParams,
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    const p = new SqlParams();
    const where: string[] = [];
    const eq = (column: string, value: unknown) => {
      if (value !== undefined) where.push(`${column} = ${p.add(value)}`);
    };
    eq('dead_letter_id', params.deadLetterId);
    eq('action', params.action);
    eq('actor', params.actor);
    if (params.before !== undefined) where.push(`seq < ${p.add(params.before)}`);
    const limit = Math.max(1, Math.floor(params.limit));
    const rows = await this.conn.query<AuditRow>(
      'list audit',
      `SELECT * FROM "${this.conn.schema}".dead_letter_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY seq DESC LIMIT ${p.add(limit)}`,
      p.args,
    );
    const items = rows.map(auditFromRow);
    return { items, nextBefore: items.length === limit ? items[items.length - 1]!.seq : null };
  }
}
