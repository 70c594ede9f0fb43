/**
 * The read side of the SQLite dead-letter store: filtered pages (offset, reversed offset or keyset),
 * totals from the maintained counts table when the filter allows, facets, failure groups, stats and
 * the audit trail. Nothing here loads more rows than it returns.
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
} from '../dead-letter-store.js';
import type { DeadLetterConnection } from './dead-letter-connection.js';
import {
  type AuditRow,
  auditFromRow,
  type DeadLetterRow,
  deadLetterFromRaw,
  deadLetterFromRow,
  rawPosition,
} from './dead-letter-rows.js';
import {
  buildWhere,
  countableFromTally,
  decodeCursor,
  encodeCursor,
  inListSql,
  ordering,
  statusCondition,
} from './dead-letter-sql.js';

const ALL_STATUSES: readonly DeadLetterStatus[] = [
  'pending',
  'replaying',
  'resolved',
  'requires_review',
  'expired',
  'archived',
];

/** Dead-letter queries on one connection. */
export class SqliteDeadLetterReads {
  constructor(private readonly c: DeadLetterConnection) {}

  async getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    const row = this.c.read(() => this.c.getRow(params.id));
    return row ? deadLetterFromRow(row) : null;
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    const row = this.c.read(() => this.c.stmt.getByJob!.get(params.jobId) as DeadLetterRow | undefined);
    return row ? deadLetterFromRow(row) : null;
  }

  async listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    const order = params.order ?? 'newest';
    const limit = Math.max(0, Math.floor(params.limit));
    const { orderBy, after } = ordering(order);
    const extra: string[] = [];
    const extraArgs: unknown[] = [];
    if (params.cursor !== undefined) {
      const cursor = decodeCursor(params.cursor);
      if (cursor.order !== order) throw new ValidationError('cursor', 'was made for the other order');
      extra.push(after);
      extraArgs.push(cursor.at, cursor.at, cursor.seq);
    }
    const page = buildWhere(params, extra, extraArgs);
    const select = (orderBy: string, n: number, skip: number) =>
      this.c
        .prepared(`SELECT rowid FROM redrive_dead_letters ${page.clause} ${orderBy} LIMIT ? OFFSET ?`)
        .pluck()
        .all(...page.args, n, skip) as number[];
    // One read snapshot: the total and the page agree even while other processes write.
    return this.c.snapshot(() => {
      const { limit: _l, offset: _o, cursor: _c, order: _r, withTotal, ...filter } = params;
      const total = withTotal === false ? null : this.count(filter);
      if (limit === 0) return { items: [], total, nextCursor: null };
      const offset = params.cursor === undefined ? Math.max(0, Math.floor(params.offset ?? 0)) : 0;
      // Page through row ids only (an index-only scan for the common filters), then load the rows.
      // A page in the back half is read from the other end (the orders are exact reverses), so no
      // page skips more than half of the matching rows.
      let seqs: number[];
      if (params.cursor === undefined && total !== null && offset > total / 2 && offset < total) {
        const end = Math.min(total, offset + limit);
        seqs = select(
          ordering(order === 'newest' ? 'oldest' : 'newest').orderBy,
          end - offset,
          total - end,
        ).reverse();
      } else {
        seqs = select(orderBy, limit, offset);
      }
      if (seqs.length === 0) return { items: [], total, nextCursor: null };
      const raws = this.c.byRowids(seqs.length).all(...seqs) as unknown[][];
      const bySeq = new Map(raws.map((raw) => [rawPosition(raw).seq, raw]));
      const items: DeadLetter[] = [];
      for (const seq of seqs) {
        const raw = bySeq.get(seq);
        if (raw) items.push(deadLetterFromRaw(raw));
      }
      const last = bySeq.get(seqs[seqs.length - 1]!);
      const nextCursor = seqs.length === limit && last ? encodeCursor({ ...rawPosition(last), order }) : null;
      return { items, total, nextCursor };
    });
  }

  /** Counts matching rows; status/domain-only filters read the maintained counts table. */
  private count(filter: DeadLetterFilter): number {
    if (countableFromTally(filter)) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (filter.statuses && filter.statuses.length > 0) where.push(statusCondition(filter.statuses));
      if (filter.domain !== undefined) {
        where.push('domain = ?');
        args.push(filter.domain);
      }
      if (filter.domains && filter.domains.length > 0) where.push(inListSql('domain', filter.domains, args));
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      return this.c
        .prepared(`SELECT COALESCE(SUM(n), 0) FROM redrive_dead_letter_counts ${clause}`)
        .pluck()
        .get(...args) as number;
    }
    const where = buildWhere(filter);
    return this.c
      .prepared(`SELECT COUNT(*) FROM redrive_dead_letters ${where.clause}`)
      .pluck()
      .get(...where.args) as number;
  }

  async facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    const cells = this.c.read(
      () => this.c.stmt.counts!.all() as { domain: string; status: DeadLetterStatus; n: number }[],
    );
    const facets: DeadLetterFacets = { byStatus: {}, byDomain: {}, cells: [] };
    for (const cell of cells) {
      facets.cells.push({ status: cell.status, domain: cell.domain, count: cell.n });
      if (params.domain === undefined || cell.domain === params.domain)
        facets.byStatus[cell.status] = (facets.byStatus[cell.status] ?? 0) + cell.n;
      if (params.status === undefined || cell.status === params.status)
        facets.byDomain[cell.domain] = (facets.byDomain[cell.domain] ?? 0) + cell.n;
    }
    return facets;
  }

  async topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<FailureGroup[]> {
    const where = buildWhere(params);
    const rows = this.c.read(
      () =>
        this.c
          .prepared(
            `SELECT fingerprint, COUNT(*) AS n, MIN(dead_lettered_at) AS first_seen, MAX(dead_lettered_at) AS last_seen,
                  id, error_class, error_message, domain
             FROM redrive_dead_letters ${where.clause}
            GROUP BY fingerprint ORDER BY n DESC, last_seen DESC LIMIT ?`,
          )
          .all(...where.args, Math.max(1, Math.floor(params.limit))) as {
          fingerprint: string;
          n: number;
          first_seen: number;
          last_seen: number;
          id: string;
          error_class: string | null;
          error_message: string;
          domain: string;
        }[],
    );
    return rows.map((r) => ({
      fingerprint: r.fingerprint,
      count: r.n,
      firstSeenAt: r.first_seen,
      lastSeenAt: r.last_seen,
      sampleId: r.id,
      errorClass: r.error_class,
      errorMessage: r.error_message,
      domain: r.domain,
    }));
  }

  async getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    return this.c.read(() => {
      const byStatus = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as Record<
        DeadLetterStatus,
        number
      >;
      const byDomain: Record<string, number> = {};
      let total = 0;
      for (const cell of this.c.stmt.counts!.all() as {
        domain: string;
        status: DeadLetterStatus;
        n: number;
      }[]) {
        byStatus[cell.status] = (byStatus[cell.status] ?? 0) + cell.n;
        byDomain[cell.domain] = (byDomain[cell.domain] ?? 0) + cell.n;
        total += cell.n;
      }
      return {
        total,
        byStatus,
        byDomain,
        oldestPendingAt: (this.c.stmt.oldestPending!.get() as number | null) ?? null,
        replayable: byStatus.pending - (this.c.stmt.pendingAtCap!.get() as number),
        dueForExpiry: this.c.stmt.dueForExpiry!.get(params.now) as number,
        purgedTotal: (this.c.stmt.tally!.get('purged') as number | undefined) ?? 0,
      };
    });
  }

  async listAudit(
    params: ListAuditParams,
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (column: string, value: unknown) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      args.push(value);
    };
    eq('dead_letter_id', params.deadLetterId);
    eq('action', params.action);
    eq('actor', params.actor);
    if (params.before !== undefined) {
      where.push('seq < ?');
      args.push(params.before);
    }
    const limit = Math.max(1, Math.floor(params.limit));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.c.read(
      () =>
        this.c
          .prepared(`SELECT * FROM redrive_dead_letter_audit ${clause} ORDER BY seq DESC LIMIT ?`)
          .all(...args, limit) as AuditRow[],
    );
    const items = rows.map(auditFromRow);
    return { items, nextBefore: items.length === limit ? items[items.length - 1]!.seq : null };
  }
}
