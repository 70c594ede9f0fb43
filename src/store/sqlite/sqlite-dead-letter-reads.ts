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
  ListAuditParams,
  ListDeadLettersParams,
  TopFailures,
} from '../dead-letter-store.js';
import { DUE_FOR_EXPIRY_COUNT_CAP } from '../dead-letter-store.js';
import { dueForExpiry } from '../due-for-expiry.js';
import { countableFromGroups } from '../failure-groups.js';
import { type CountCell, facetsFromCells, totalsFromCells } from '../shared/count-cells.js';
import { countableFromCounts, statusCondition } from '../shared/dead-letter-filter.js';
import { decodeCursor, encodeCursor, isSequence } from '../shared/keyset-cursor.js';
import type { DeadLetterConnection } from './dead-letter-connection.js';
import {
  buildWhere,
  countRows,
  inListSql,
  orderedRows,
  ordering,
  type PlannedWhere,
  type SqlWhere,
  type WhereOptions,
} from './dead-letter-filter.js';
import { TOP_FAILURES_SCAN_BUDGET, topFailuresFrom } from './dead-letter-groups.js';
import {
  type AuditRow,
  auditFromRow,
  type DeadLetterRow,
  deadLetterFromRaw,
  deadLetterFromRow,
  rawPosition,
} from './dead-letter-rows.js';

/** Most candidates a list query examines for conditions no index serves. */
export const SCAN_BUDGET = 20_000;

/** Dead-letter queries on one connection. */
export class SqliteDeadLetterReads {
  private readonly indexedPaths: ReadonlySet<string>;

  constructor(
    private readonly c: DeadLetterConnection,
    indexedPaths: readonly string[] = [],
    /** Most candidates a bounded scan examines (conditions no index serves). */
    private readonly scanBudget = SCAN_BUDGET,
  ) {
    this.indexedPaths = new Set(indexedPaths);
  }

  async getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    const row = this.c.read(() => this.c.getRow(params.id));
    return row ? deadLetterFromRow(row) : null;
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    const row = this.c.read(() => this.c.stmt.getByJob.get(params.jobId) as DeadLetterRow | undefined);
    return row ? deadLetterFromRow(row) : null;
  }

  async listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    const order = params.order ?? 'newest';
    const limit = Math.max(0, Math.floor(params.limit));
    const { after } = ordering(order);
    const extra: string[] = [];
    const extraArgs: unknown[] = [];
    if (params.cursor !== undefined) {
      const cursor = decodeCursor(params.cursor, isSequence);
      if (cursor.order !== order) throw new ValidationError('cursor', 'was made for the other order');
      extra.push(after);
      extraArgs.push(cursor.at, cursor.at, cursor.tiebreak);
    }
    const { limit: _l, offset: _o, cursor: _c, order: _r, withTotal, ...filter } = params;
    // One read snapshot: the total and the page agree even while other processes write.
    return this.c.snapshot(() => {
      const page = this.plan(filter, { extra, extraArgs });
      if (page.residual) return this.listByBoundedScan(params, page, page.residual, order, limit);
      return this.listPage(params, filter, page, order, limit);
    });
  }

  /** The conditions of a filter, with the declared JSON paths. */
  private plan(filter: DeadLetterFilter, options: Omit<WhereOptions, 'indexedPaths'> = {}): PlannedWhere {
    return buildWhere(filter, { ...options, indexedPaths: this.indexedPaths });
  }

  private listPage(
    params: ListDeadLettersParams,
    filter: DeadLetterFilter,
    page: PlannedWhere,
    order: 'newest' | 'oldest',
    limit: number,
  ): DeadLetterPage {
    const { withTotal } = params;
    const select = (inOrder: 'newest' | 'oldest', n: number, skip: number) => {
      const rows = orderedRows(page, inOrder, 'LIMIT ? OFFSET ?');
      return this.c
        .prepared(rows.clause)
        .pluck()
        .all(...rows.args, n, skip) as number[];
    };
    const total = withTotal === false ? null : this.count(filter);
    if (limit === 0) return { items: [], total, nextCursor: null };
    const offset = params.cursor === undefined ? Math.max(0, Math.floor(params.offset ?? 0)) : 0;
    // Page through row ids only (an index-only scan for the common filters), then load the rows.
    // A page in the back half is read from the other end (the orders are exact reverses), so no
    // page skips more than half of the matching rows.
    let seqs: number[];
    if (params.cursor === undefined && total !== null && offset > total / 2 && offset < total) {
      const end = Math.min(total, offset + limit);
      seqs = select(order === 'newest' ? 'oldest' : 'newest', end - offset, total - end).reverse();
    } else {
      seqs = select(order, limit, offset);
    }
    const { items, last } = this.load(seqs);
    const nextCursor =
      seqs.length === limit && last ? encodeCursor({ at: last.at, tiebreak: last.seq, order }) : null;
    return { items, total, nextCursor };
  }

  /** Loads rows by row id, in the given order, with the position of the last one. */
  private load(seqs: number[]): { items: DeadLetter[]; last: { at: number; seq: number } | null } {
    if (seqs.length === 0) return { items: [], last: null };
    const raws = this.c.byRowids(seqs.length).all(...seqs) as unknown[][];
    const bySeq = new Map(raws.map((raw) => [rawPosition(raw).seq, raw]));
    const items: DeadLetter[] = [];
    for (const seq of seqs) {
      const raw = bySeq.get(seq);
      if (raw) items.push(deadLetterFromRaw(raw));
    }
    const last = bySeq.get(seqs[seqs.length - 1]!);
    return { items, last: last ? rawPosition(last) : null };
  }

  /**
   * A page whose filter has conditions no index serves: the first `scanBudget` candidates (in the
   * requested order, after the cursor) that the indexed conditions select are examined, and the
   * page, the total and the report come from those. When the page is short and candidates remain,
   * `nextCursor` continues after the last one examined.
   */
  private listByBoundedScan(
    params: ListDeadLettersParams,
    page: PlannedWhere,
    residual: SqlWhere,
    order: 'newest' | 'oldest',
    limit: number,
  ): DeadLetterPage {
    const { orderBy } = ordering(order);
    const budget = this.scanBudget;
    const window = orderedRows(page, order, `LIMIT ${budget}`);
    const matches = `SELECT rowid FROM redrive_dead_letters ${residual.clause} AND rowid IN (SELECT seq FROM (${window.clause}))`;
    const args = [...residual.args, ...window.args];
    const examined = this.c
      .prepared(`SELECT COUNT(*) FROM (${window.clause})`)
      .pluck()
      .get(...window.args) as number;
    const scan = { examined, budget, complete: examined < budget };
    const total =
      params.withTotal === false
        ? null
        : (this.c
            .prepared(`SELECT COUNT(*) FROM (${matches})`)
            .pluck()
            .get(...args) as number);
    const offset = params.cursor === undefined ? Math.max(0, Math.floor(params.offset ?? 0)) : 0;
    const seqs =
      limit === 0
        ? []
        : (this.c
            .prepared(`${matches} ${orderBy} LIMIT ? OFFSET ?`)
            .pluck()
            .all(...args, limit, offset) as number[]);
    const { items, last } = this.load(seqs);
    let nextCursor: string | null = null;
    if (limit > 0 && seqs.length === limit && last)
      nextCursor = encodeCursor({ at: last.at, tiebreak: last.seq, order });
    else if (limit > 0 && !scan.complete) {
      // Candidates remain past the budget: continue after the last one examined.
      const last = orderedRows(page, order, `LIMIT 1 OFFSET ${budget - 1}`, 'position');
      const edge = this.c
        .prepared(last.clause)
        .raw()
        .get(...last.args) as [number, number] | undefined;
      if (edge) nextCursor = encodeCursor({ at: edge[0], tiebreak: edge[1], order });
    }
    return { items, total, nextCursor, scan };
  }

  /** Counts matching rows; status/domain-only filters read the maintained counts table. */
  private count(filter: DeadLetterFilter): number {
    if (countableFromCounts(filter)) {
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
    if (countableFromGroups(filter)) {
      const where = buildWhere(filter);
      return this.c
        .prepared(`SELECT COALESCE(SUM(n), 0) FROM redrive_dead_letter_groups ${where.clause}`)
        .pluck()
        .get(...where.args) as number;
    }
    const rows = countRows(this.plan(filter));
    return this.c
      .prepared(rows.clause)
      .pluck()
      .get(...rows.args) as number;
  }

  async facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    const cells = this.c.read(() => this.c.stmt.counts.all() as CountCell[]);
    return facetsFromCells(cells, params);
  }

  async topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures> {
    const { limit: rawLimit, ...filter } = params;
    const limit = Math.max(1, Math.floor(rawLimit));
    const prepared = (sql: string) => this.c.prepared(sql);
    return this.c.snapshot(() => {
      if (countableFromGroups(filter)) return topFailuresFrom(prepared, filter, limit, null);
      // Other conditions: group the newest matching entries, at most a budget of them.
      const budget = TOP_FAILURES_SCAN_BUDGET;
      const where = this.plan(filter);
      const window = orderedRows(where, 'newest', `LIMIT ${budget}`);
      const residual = where.residual ? `${where.residual.clause} AND` : 'WHERE';
      return topFailuresFrom(prepared, filter, limit, {
        sql: `SELECT fingerprint, domain FROM redrive_dead_letters ${residual} rowid IN (SELECT seq FROM (${window.clause}))`,
        args: [...(where.residual?.args ?? []), ...window.args],
        budget,
        examined: () =>
          this.c
            .prepared(`SELECT COUNT(*) FROM (${window.clause})`)
            .pluck()
            .get(...window.args) as number,
      });
    });
  }

  async getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    return this.c.read(() => {
      const { total, byStatus, byDomain } = totalsFromCells(this.c.stmt.counts.all() as CountCell[]);
      return {
        total,
        byStatus,
        byDomain,
        oldestPendingAt: (this.c.stmt.oldestPending.get() as number | null) ?? null,
        replayable: byStatus.pending - (this.c.stmt.pendingAtCap.get() as number),
        ...dueForExpiry(this.c.stmt.dueForExpiry.get(params.now, DUE_FOR_EXPIRY_COUNT_CAP + 1) as number),
        purgedTotal: (this.c.stmt.tally.get('purged') as number | undefined) ?? 0,
        byQueue: Object.fromEntries(
          (this.c.stmt.byQueue.all() as { queue: string; n: number }[]).map((r) => [r.queue, r.n]),
        ),
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
