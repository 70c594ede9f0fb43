/**
 * The SQLite implementation of the dead-letter half of the Store seam. `SqliteStore` owns the
 * connection and delegates every `DeadLetterStore` method here. Each state change runs in one
 * `BEGIN IMMEDIATE` transaction that reads the row, checks the guard (status, generation, budget)
 * and writes, so two concurrent operators (in this process or another) never both win.
 */
import type Database from 'better-sqlite3';
import {
  type DeadLetter,
  type DeadLetterAuditEntry,
  type DeadLetterStatus,
  type NewDeadLetter,
  type NewDeadLetterAuditEntry,
  REDRIVABLE_DEAD_LETTER_STATUSES,
  REPLAYABLE_DEAD_LETTER_STATUSES,
  RESOLVABLE_DEAD_LETTER_STATUSES,
} from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type {
  AcquireDeadLetterParams,
  AuditInput,
  DeadLetterChangeResult,
  DeadLetterFacets,
  DeadLetterFilter,
  DeadLetterPage,
  DeadLetterStore,
  DeadLetterStoreStats,
  FailureGroup,
  FinishDeadLetterReplayParams,
  ListAuditParams,
  ListDeadLettersParams,
  PurgeDeadLettersParams,
  ResolveDeadLettersParams,
  ResolveDeadLettersResult,
  TransitionDeadLettersParams,
} from '../dead-letter-store.js';
import type { DeadLetterFromJob } from '../job-store.js';
import {
  type AuditRow,
  auditFromRow,
  auditValues,
  DEAD_LETTER_SELECT,
  type DeadLetterRow,
  deadLetterFromRaw,
  deadLetterFromRow,
  deadLetterValues,
  INSERT_AUDIT_SQL,
  INSERT_DEAD_LETTER_SQL,
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
import { DEAD_LETTER_ADDED_COLUMNS, DEAD_LETTER_COUNTS_SQL, DEAD_LETTER_SCHEMA_SQL } from './schema.js';
import { translateSqliteError } from './sqlite-errors.js';

type Statement = Database.Statement<unknown[], unknown>;

/** What {@link SqliteDeadLetters.insertFromJob} needs from the failing job. */
export interface JobDeadLetterInput {
  deadLetter: DeadLetterFromJob;
  jobId: string;
  queue: string;
  jobName: string;
  payloadJson: string;
  attemptsJson: string;
  now: number;
}

/** The marker stored when a payload transform throws (the raw payload is never stored then). */
export const REDACTION_FAILED = '[REDACTED: the redaction transform failed]';

const ALL_STATUSES: readonly DeadLetterStatus[] = [
  'pending',
  'replaying',
  'resolved',
  'requires_review',
  'expired',
  'archived',
];

/** Dead-letter storage on a better-sqlite3 connection owned by the caller. */
export class SqliteDeadLetters implements DeadLetterStore {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly isClosed: () => boolean;
  private readonly stmt: Record<string, Statement>;
  private readonly listStatements = new Map<string, Statement>();
  private readonly rowidStatements = new Map<number, Statement>();

  /** Applies the dead-letter schema (additive migrations included) and prepares statements. */
  constructor(db: Database.Database, options: { path: string; isClosed?: () => boolean }) {
    this.db = db;
    this.path = options.path;
    this.isClosed = options.isClosed ?? (() => false);
    this.migrate();
    this.stmt = this.prepare();
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        const columns = new Set(
          (this.db.pragma('table_info(redrive_dead_letters)') as { name: string }[]).map((c) => c.name),
        );
        for (const [name, type] of DEAD_LETTER_ADDED_COLUMNS) {
          if (!columns.has(name)) this.db.exec(`ALTER TABLE redrive_dead_letters ADD COLUMN ${name} ${type}`);
        }
        const hasCounts = this.db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'redrive_dead_letter_counts'")
          .get();
        if (!hasCounts) this.db.exec(DEAD_LETTER_COUNTS_SQL);
        this.db.exec(DEAD_LETTER_SCHEMA_SQL);
      })
      .immediate();
  }

  private prepare(): Record<string, Statement> {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      insert: p(INSERT_DEAD_LETTER_SQL),
      insertAudit: p(INSERT_AUDIT_SQL),
      get: p(`SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE id = ?`),
      getByJob: p(`SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE job_id = ?`),
      jobReplayOf: p('SELECT replay_of FROM redrive_jobs WHERE id = ?').pluck(),
      ledger: p('SELECT replay_count, max_replays FROM redrive_dead_letters WHERE id = ?'),
      byIds: p(
        `SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE id IN (SELECT value FROM json_each(?))`,
      ),
      acquire: p(
        `UPDATE redrive_dead_letters
            SET status = 'replaying', generation = generation + 1, replay_count = replay_count + 1,
                max_replays = @maxReplays, replay_started_at = @now, updated_at = @now
          WHERE id = @id RETURNING ${DEAD_LETTER_SELECT}`,
      ),
      finish: p(
        `UPDATE redrive_dead_letters
            SET status = @status, generation = generation + 1, last_replay_at = @now, updated_at = @now,
                last_replay_error = @error, replay_job_id = COALESCE(@replayJobId, replay_job_id),
                resolved_at = CASE WHEN @status = 'resolved' THEN @now ELSE resolved_at END,
                resolved_by = CASE WHEN @status = 'resolved' THEN @resolvedBy ELSE resolved_by END,
                resolution_note = CASE WHEN @status = 'resolved' THEN @note ELSE resolution_note END
          WHERE id = @id RETURNING ${DEAD_LETTER_SELECT}`,
      ),
      resolve: p(
        `UPDATE redrive_dead_letters
            SET status = 'resolved', generation = generation + 1, resolved_at = @now, resolved_by = @actor,
                resolution_note = @note, updated_at = @now
          WHERE id = @id`,
      ),
      expire: p(
        `UPDATE redrive_dead_letters SET status = 'expired', generation = generation + 1, updated_at = @now
          WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                           WHERE status IN ('pending', 'requires_review') AND expires_at <= @now
                             AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                           LIMIT @limit)
          RETURNING id`,
      ).pluck(),
      archive: p(
        `UPDATE redrive_dead_letters
            SET status = 'archived', generation = generation + 1, archived_at = @now, updated_at = @now
          WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                           WHERE status IN ('resolved', 'expired') AND updated_at < @before
                             AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                           LIMIT @limit)
          RETURNING id`,
      ).pluck(),
      releaseStuck: p(
        `UPDATE redrive_dead_letters
            SET status = CASE WHEN replay_count >= max_replays THEN 'requires_review' ELSE 'pending' END,
                generation = generation + 1, updated_at = @now, last_replay_at = @now,
                last_replay_error = 'the replay was interrupted (the replaying process stopped before finishing)'
          WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                           WHERE status = 'replaying' AND replay_started_at < @before LIMIT @limit)
          RETURNING id`,
      ).pluck(),
      purge: p(
        `DELETE FROM redrive_dead_letters
          WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                           WHERE status = 'archived' AND updated_at < COALESCE(@before, 9007199254740991)
                             AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                           LIMIT @limit)
          RETURNING id`,
      ).pluck(),
      addTally: p(
        `INSERT INTO redrive_dead_letter_tally (name, value) VALUES (?, ?)
           ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
      ),
      tally: p('SELECT value FROM redrive_dead_letter_tally WHERE name = ?').pluck(),
      addCount: p(
        `INSERT INTO redrive_dead_letter_counts (domain, status, n) VALUES (?, ?, ?)
           ON CONFLICT (domain, status) DO UPDATE SET n = n + excluded.n`,
      ),
      counts: p('SELECT domain, status, n FROM redrive_dead_letter_counts WHERE n > 0'),
      oldestPending: p(
        "SELECT MIN(dead_lettered_at) FROM redrive_dead_letters WHERE status = 'pending'",
      ).pluck(),
      // Pending entries at their cap are rare and have their own partial index; replayable = pending - those.
      pendingAtCap: p(
        "SELECT COUNT(*) FROM redrive_dead_letters WHERE status = 'pending' AND replay_count >= max_replays",
      ).pluck(),
      dueForExpiry: p(
        `SELECT COUNT(*) FROM redrive_dead_letters
          WHERE status IN ('pending', 'requires_review') AND expires_at <= ?`,
      ).pluck(),
    };
  }

  private write<T>(fn: () => T): T {
    if (this.isClosed()) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  /** Runs reads in one deferred transaction (one consistent snapshot). */
  private snapshot<T>(fn: () => T): T {
    if (this.isClosed()) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    try {
      return this.db.transaction(fn).deferred();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  private read<T>(fn: () => T): T {
    if (this.isClosed()) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  private getRow(id: string): DeadLetterRow | undefined {
    return this.stmt.get!.get(id) as DeadLetterRow | undefined;
  }

  private audit(
    input: AuditInput | undefined,
    id: string | null,
    before: DeadLetterRow | null,
    after: DeadLetterRow | null,
    now: number,
  ): void {
    if (!input) return;
    this.stmt.insertAudit!.run(
      ...auditValues({
        deadLetterId: id,
        action: input.action,
        actor: input.actor,
        reason: input.reason ?? null,
        ticket: input.ticket ?? null,
        at: now,
        beforeStatus: before?.status ?? null,
        afterStatus: after?.status ?? null,
        beforeGeneration: before?.generation ?? null,
        afterGeneration: after?.generation ?? null,
        details: input.details ?? {},
      }),
    );
  }

  // ---- capture ------------------------------------------------------------------------------

  /**
   * Inserts the dead letter of a failing job, inside the caller's open transaction (the job's
   * `failJob` or recovery). Copies the job's payload (through the caller's `redactPayload`) and
   * attempts; when the job replays an earlier dead letter, links it and carries the earlier
   * entry's replay ledger over, creating it in `requires_review` if that budget is spent.
   */
  insertFromJob(input: JobDeadLetterInput): void {
    const { redactPayload, ...dl } = input.deadLetter;
    let payload: unknown = JSON.parse(input.payloadJson);
    if (redactPayload) {
      try {
        payload = redactPayload(payload);
      } catch {
        payload = REDACTION_FAILED;
      }
    }
    const numericId = Number(input.jobId);
    const replayOf = Number.isSafeInteger(numericId)
      ? ((this.stmt.jobReplayOf!.get(numericId) as string | null | undefined) ?? null)
      : null;
    const record: NewDeadLetter = {
      ...dl,
      queue: input.queue,
      jobId: input.jobId,
      jobName: input.jobName,
      payload,
      attempts: JSON.parse(input.attemptsJson),
      replayOf,
    };
    if (replayOf !== null) {
      const ledger = this.stmt.ledger!.get(replayOf) as
        | { replay_count: number; max_replays: number }
        | undefined;
      if (ledger) {
        record.replayCount = ledger.replay_count;
        record.maxReplays = ledger.max_replays;
        record.initialStatus = ledger.replay_count >= ledger.max_replays ? 'requires_review' : 'pending';
      }
    }
    if (this.stmt.insert!.run(...deadLetterValues(record, input.now)).changes === 1) {
      this.stmt.addCount!.run(record.domain, record.initialStatus ?? 'pending', 1);
    }
  }

  async insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    if (params.deadLetters.length === 0) return { inserted: 0, ids: [] };
    return this.write(() => {
      const ids: string[] = [];
      const insert = this.stmt.insert!;
      // The counts table is kept here, once per (domain, status) of the batch, not by a trigger per row.
      const counts = new Map<string, { domain: string; status: string; n: number }>();
      for (const dl of params.deadLetters) {
        if (insert.run(...deadLetterValues(dl, params.now)).changes !== 1) continue;
        ids.push(dl.id);
        const status = dl.initialStatus ?? 'pending';
        const key = `${status}\u0000${dl.domain}`;
        const cell = counts.get(key);
        if (cell) cell.n++;
        else counts.set(key, { domain: dl.domain, status, n: 1 });
      }
      for (const cell of counts.values()) this.stmt.addCount!.run(cell.domain, cell.status, cell.n);
      return { inserted: ids.length, ids };
    });
  }

  // ---- queries ------------------------------------------------------------------------------

  async getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    const row = this.read(() => this.getRow(params.id));
    return row ? deadLetterFromRow(row) : null;
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    const row = this.read(() => this.stmt.getByJob!.get(params.jobId) as DeadLetterRow | undefined);
    return row ? deadLetterFromRow(row) : null;
  }

  /** `SELECT ... WHERE rowid IN (?, ...)` for `n` ids, returning raw rows (cached per size). */
  private byRowids(n: number): Statement {
    let stmt = this.rowidStatements.get(n);
    if (!stmt) {
      stmt = this.db
        .prepare(
          `SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE rowid IN (${new Array(n).fill('?').join(', ')})`,
        )
        .raw();
      this.rowidStatements.set(n, stmt);
    }
    return stmt;
  }

  private prepared(sql: string): Statement {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.listStatements.size > 200) this.listStatements.clear();
      this.listStatements.set(sql, stmt);
    }
    return stmt;
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
      this.prepared(`SELECT rowid FROM redrive_dead_letters ${page.clause} ${orderBy} LIMIT ? OFFSET ?`)
        .pluck()
        .all(...page.args, n, skip) as number[];
    // One read snapshot: the total and the page agree even while other processes write.
    return this.snapshot(() => {
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
      const raws = this.byRowids(seqs.length).all(...seqs) as unknown[][];
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
      return this.prepared(`SELECT COALESCE(SUM(n), 0) FROM redrive_dead_letter_counts ${clause}`)
        .pluck()
        .get(...args) as number;
    }
    const where = buildWhere(filter);
    return this.prepared(`SELECT COUNT(*) FROM redrive_dead_letters ${where.clause}`)
      .pluck()
      .get(...where.args) as number;
  }

  async facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    const cells = this.read(
      () => this.stmt.counts!.all() as { domain: string; status: DeadLetterStatus; n: number }[],
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
    const rows = this.read(
      () =>
        this.prepared(
          `SELECT fingerprint, COUNT(*) AS n, MIN(dead_lettered_at) AS first_seen, MAX(dead_lettered_at) AS last_seen,
                  id, error_class, error_message, domain
             FROM redrive_dead_letters ${where.clause}
            GROUP BY fingerprint ORDER BY n DESC, last_seen DESC LIMIT ?`,
        ).all(...where.args, Math.max(1, Math.floor(params.limit))) as {
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
    return this.read(() => {
      const byStatus = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as Record<
        DeadLetterStatus,
        number
      >;
      const byDomain: Record<string, number> = {};
      let total = 0;
      for (const cell of this.stmt.counts!.all() as {
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
        oldestPendingAt: (this.stmt.oldestPending!.get() as number | null) ?? null,
        replayable: byStatus.pending - (this.stmt.pendingAtCap!.get() as number),
        dueForExpiry: this.stmt.dueForExpiry!.get(params.now) as number,
        purgedTotal: (this.stmt.tally!.get('purged') as number | undefined) ?? 0,
      };
    });
  }

  // ---- state changes ------------------------------------------------------------------------

  async acquireDeadLetterForReplay(params: AcquireDeadLetterParams): Promise<DeadLetterChangeResult> {
    return this.write((): DeadLetterChangeResult => {
      const row = this.getRow(params.id);
      if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
      const current = deadLetterFromRow(row);
      if (params.expectedGeneration !== undefined && row.generation !== params.expectedGeneration)
        return { ok: false, reason: 'stale_generation', deadLetter: current };
      const allowed = params.force ? REDRIVABLE_DEAD_LETTER_STATUSES : REPLAYABLE_DEAD_LETTER_STATUSES;
      if (!allowed.includes(row.status)) return { ok: false, reason: 'invalid_status', deadLetter: current };
      if (!params.force && row.replay_count >= row.max_replays)
        return { ok: false, reason: 'at_cap', deadLetter: current };
      const maxReplays = params.force ? row.replay_count + params.force.freshBudget : row.max_replays;
      const updated = this.stmt.acquire!.get({ id: params.id, now: params.now, maxReplays }) as DeadLetterRow;
      this.audit(params.audit, params.id, row, updated, params.now);
      return { ok: true, deadLetter: deadLetterFromRow(updated) };
    });
  }

  async finishDeadLetterReplay(params: FinishDeadLetterReplayParams): Promise<DeadLetterChangeResult> {
    return this.write((): DeadLetterChangeResult => {
      const row = this.getRow(params.id);
      if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
      if (row.generation !== params.generation)
        return { ok: false, reason: 'stale_generation', deadLetter: deadLetterFromRow(row) };
      if (row.status !== 'replaying')
        return { ok: false, reason: 'invalid_status', deadLetter: deadLetterFromRow(row) };
      const updated = this.stmt.finish!.get({
        id: params.id,
        now: params.now,
        status: params.status,
        error: params.error ?? null,
        replayJobId: params.replayJobId ?? null,
        resolvedBy: params.resolvedBy ?? null,
        note: params.note ?? null,
      }) as DeadLetterRow;
      this.audit(params.audit, params.id, row, updated, params.now);
      return { ok: true, deadLetter: deadLetterFromRow(updated) };
    });
  }

  async resolveDeadLetters(params: ResolveDeadLettersParams): Promise<ResolveDeadLettersResult> {
    const result: ResolveDeadLettersResult = { resolved: [], skipped: [], notFound: [] };
    if (params.ids.length === 0) return result;
    return this.write(() => {
      const rows = this.stmt.byIds!.all(JSON.stringify(params.ids)) as DeadLetterRow[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      const seen = new Set<string>();
      for (const id of params.ids) {
        if (seen.has(id)) continue;
        seen.add(id);
        const row = byId.get(id);
        if (!row) {
          result.notFound.push(id);
          continue;
        }
        const expected = params.expectedGenerations?.[id];
        if (expected !== undefined && expected !== row.generation) {
          result.skipped.push({ id, status: row.status, reason: 'stale_generation' });
          continue;
        }
        if (!RESOLVABLE_DEAD_LETTER_STATUSES.includes(row.status)) {
          result.skipped.push({ id, status: row.status, reason: 'invalid_status' });
          continue;
        }
        this.stmt.resolve!.run({ id, now: params.now, actor: params.actor, note: params.note ?? null });
        this.audit(
          { action: params.auditAction ?? 'resolve', actor: params.actor, reason: params.note ?? null },
          id,
          row,
          { ...row, status: 'resolved', generation: row.generation + 1 },
          params.now,
        );
        result.resolved.push(id);
      }
      return result;
    });
  }

  async transitionDeadLetters(params: TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { ids: [] };
    return this.write(() => {
      switch (params.action) {
        case 'expire':
          return {
            ids: this.stmt.expire!.all({
              now: params.now,
              limit,
              ids: params.ids ? JSON.stringify(params.ids) : null,
            }) as string[],
          };
        case 'archive':
          return {
            ids: this.stmt.archive!.all({
              now: params.now,
              before: params.before,
              limit,
              ids: params.ids ? JSON.stringify(params.ids) : null,
            }) as string[],
          };
        case 'release_stuck':
          return {
            ids: this.stmt.releaseStuck!.all({ now: params.now, before: params.before, limit }) as string[],
          };
        default:
          throw new ValidationError(
            'action',
            `unknown transition ${String((params as { action: unknown }).action)}`,
          );
      }
    });
  }

  async purgeDeadLetters(params: PurgeDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { ids: [] };
    return this.write(() => {
      const ids = this.stmt.purge!.all({
        before: params.before ?? null,
        ids: params.ids ? JSON.stringify(params.ids) : null,
        limit,
      }) as string[];
      if (ids.length > 0) this.stmt.addTally!.run('purged', ids.length);
      return { ids };
    });
  }

  // ---- audit --------------------------------------------------------------------------------

  async appendAudit(params: { entries: readonly NewDeadLetterAuditEntry[] }): Promise<{ seqs: number[] }> {
    if (params.entries.length === 0) return { seqs: [] };
    return this.write(() => ({
      seqs: params.entries.map((e) => Number(this.stmt.insertAudit!.run(...auditValues(e)).lastInsertRowid)),
    }));
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
    const rows = this.read(
      () =>
        this.prepared(`SELECT * FROM redrive_dead_letter_audit ${clause} ORDER BY seq DESC LIMIT ?`).all(
          ...args,
          limit,
        ) as AuditRow[],
    );
    const items = rows.map(auditFromRow);
    return { items, nextBefore: items.length === limit ? items[items.length - 1]!.seq : null };
  }
}
