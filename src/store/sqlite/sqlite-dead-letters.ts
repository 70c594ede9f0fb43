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
  FinishDeadLetterReplayParams,
  ListAuditParams,
  ListDeadLettersParams,
  PurgeAuditParams,
  PurgeDeadLettersParams,
  RegroupDeadLettersParams,
  ResolveDeadLettersParams,
  ResolveDeadLettersResult,
  TopFailures,
  TransitionDeadLettersParams,
} from '../dead-letter-store.js';
import type { DeadLetterFromJob } from '../job-store.js';
import { validateRegroupings } from '../regroup-changes.js';
import { redactedPayloadJson } from '../shared/redaction-failed.js';
import { planResolve } from '../shared/resolve-plan.js';
import { CaptureBatch } from './dead-letter-capture.js';
import { DeadLetterConnection, type Statement } from './dead-letter-connection.js';
import { DeadLetterReadThread } from './dead-letter-read-thread.js';
import {
  auditValues,
  type DeadLetterFields,
  type DeadLetterPlacement,
  type DeadLetterRow,
  deadLetterFromRow,
  placementOf,
  toJson,
} from './dead-letter-rows.js';
import { SCAN_BUDGET, SqliteDeadLetterReads } from './sqlite-dead-letter-reads.js';

/** What {@link SqliteDeadLetters.insertFromJobs} needs from a failing job. */
export interface JobDeadLetterInput {
  deadLetter: DeadLetterFromJob;
  jobId: string;
  queue: string;
  jobName: string;
  payloadJson: string;
  /** The job's whole attempt history, this attempt included (JSON text, stored as it is). */
  attemptsJson: string;
  /** The job's `replay_of` when the caller read the row already; looked up when undefined. */
  replayOf?: string | null;
}

/** Dead-letter storage on a better-sqlite3 connection owned by the caller. */
export class SqliteDeadLetters implements DeadLetterStore {
  private readonly c: DeadLetterConnection;
  private readonly reads: SqliteDeadLetterReads;
  private readonly options: { path: string; indexedPaths: readonly string[]; scanBudget: number };
  /** When set, reads run on a reader thread (see {@link readOffThread}). */
  private thread: DeadLetterReadThread | null = null;
  private purgeAuditStmt: Statement | undefined;

  /**
   * Creates the expression indexes of `indexedPaths` and prepares statements (the schema is
   * migrated when the connection opens, see migrate.ts).
   */
  constructor(
    db: Database.Database,
    options: {
      path: string;
      isClosed?: () => boolean;
      /** Called after each committed write transaction (the store's WAL checkpointer counts them). */
      afterWrite?: () => void;
      indexedPaths?: readonly string[];
      scanBudget?: number;
    },
  ) {
    this.c = new DeadLetterConnection(db, options);
    this.options = {
      path: options.path,
      indexedPaths: options.indexedPaths ?? [],
      scanBudget: options.scanBudget ?? SCAN_BUDGET,
    };
    this.reads = new SqliteDeadLetterReads(this.c, this.options.indexedPaths, this.options.scanBudget);
  }

  /**
   * Moves every read to a reader thread with its own connection (a file database only), so that
   * no query holds the caller's event loop. Returns whether reads are now off the thread.
   */
  readOffThread(busyTimeoutMs: number): boolean {
    if (this.thread) return true;
    const path = this.options.path;
    if (path === '' || path === ':memory:' || path.startsWith('file::memory:')) return false;
    this.thread = new DeadLetterReadThread({ ...this.options, busyTimeoutMs });
    return true;
  }

  /** Stops the reader thread, if any. */
  async closeReadThread(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
  }

  // ---- reads (sqlite-dead-letter-reads.ts; single-row lookups stay in-process, the rest may run on the
  // reader thread) -------------------------------------------------------------------------------

  getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    return this.reads.getDeadLetter(params);
  }

  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    return this.reads.getDeadLetterByJob(params);
  }

  listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    if (this.thread) return this.thread.call('listDeadLetters', params);
    return this.reads.listDeadLetters(params);
  }

  facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    if (this.thread) return this.thread.call('facetDeadLetters', params);
    return this.reads.facetDeadLetters(params);
  }

  topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures> {
    if (this.thread) return this.thread.call('topDeadLetterFailures', params);
    return this.reads.topDeadLetterFailures(params);
  }

  getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    if (this.thread) return this.thread.call('getDeadLetterStats', params);
    return this.reads.getDeadLetterStats(params);
  }

  listAudit(params: ListAuditParams): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    if (this.thread) return this.thread.call('listAudit', params);
    return this.reads.listAudit(params);
  }

  // ---- writes ---------------------------------------------------------------------------------

  private audit(
    input: AuditInput | undefined,
    id: string | null,
    before: DeadLetterRow | null,
    after: DeadLetterRow | null,
    now: number,
  ): void {
    if (!input) return;
    this.c.stmt.insertAudit.run(
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
   * Inserts the dead letters of failing jobs, inside the caller's open transaction (the jobs'
   * `failJobs` or recovery). Copies each job's payload (through the caller's `redactPayload`; as
   * it is, unparsed, without one) and its attempt history (as it is); when a job replays an
   * earlier dead letter, links it and carries the earlier entry's replay ledger over, creating it
   * in `requires_review` if that budget is spent. The per-(domain, status) counts are added once
   * per batch. Returns whether each record was new (an existing id or job is left alone).
   */
  insertFromJobs(inputs: readonly JobDeadLetterInput[], now: number): boolean[] {
    const inserted: boolean[] = new Array(inputs.length);
    const batch = new CaptureBatch(this.c);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const dl = input.deadLetter;
      const payloadJson = dl.redactPayload
        ? redactedPayloadJson(dl.redactPayload, input.payloadJson)
        : input.payloadJson;
      const replayOf = input.replayOf === undefined ? this.jobReplayOf(input.jobId) : input.replayOf;
      const at: DeadLetterPlacement = {
        queue: input.queue,
        jobId: input.jobId,
        jobName: input.jobName,
        replayOf,
        replayCount: 0,
        status: 'pending',
      };
      let record: DeadLetterFields = dl;
      if (replayOf !== null) {
        const ledger = this.c.stmt.ledger.get(replayOf) as
          | { replay_count: number; max_replays: number }
          | undefined;
        if (ledger) {
          at.replayCount = ledger.replay_count;
          at.status = ledger.replay_count >= ledger.max_replays ? 'requires_review' : 'pending';
          record = { ...dl, maxReplays: ledger.max_replays };
        }
      }
      inserted[i] = batch.insert(record, at, payloadJson, input.attemptsJson, now);
    }
    batch.finish();
    return inserted;
  }

  /**
   * The id of the entry stored for job `jobId`, if any: the one kept when a job's dead letter is
   * refused by its earlier entry (called inside the caller's open transaction).
   */
  entryIdOfJob(jobId: string): string | null {
    const row = this.c.stmt.getByJob.get(jobId) as { id: string } | undefined;
    return row?.id ?? null;
  }

  private jobReplayOf(jobId: string): string | null {
    const numericId = Number(jobId);
    if (!Number.isSafeInteger(numericId)) return null;
    return (this.c.stmt.jobReplayOf.get(numericId) as string | null | undefined) ?? null;
  }

  async insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    if (params.deadLetters.length === 0) return { inserted: 0, ids: [] };
    return this.c.write(() => {
      const ids: string[] = [];
      const batch = new CaptureBatch(this.c);
      for (const dl of params.deadLetters) {
        const payloadJson = toJson(dl.payload);
        if (batch.insert(dl, placementOf(dl), payloadJson, JSON.stringify(dl.attempts ?? []), params.now))
          ids.push(dl.id);
      }
      batch.finish();
      return { inserted: ids.length, ids };
    });
  }

  // ---- queries ------------------------------------------------------------------------------

  // ---- state changes ------------------------------------------------------------------------

  async acquireDeadLetterForReplay(params: AcquireDeadLetterParams): Promise<DeadLetterChangeResult> {
    return this.c.write((): DeadLetterChangeResult => {
      const row = this.c.getRow(params.id);
      if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
      const current = deadLetterFromRow(row);
      if (params.expectedGeneration !== undefined && row.generation !== params.expectedGeneration)
        return { ok: false, reason: 'stale_generation', deadLetter: current };
      const allowed = params.force ? REDRIVABLE_DEAD_LETTER_STATUSES : REPLAYABLE_DEAD_LETTER_STATUSES;
      if (!allowed.includes(row.status)) return { ok: false, reason: 'invalid_status', deadLetter: current };
      if (!params.force && row.replay_count >= row.max_replays)
        return { ok: false, reason: 'at_cap', deadLetter: current };
      const maxReplays = params.force ? row.replay_count + params.force.freshBudget : row.max_replays;
      const updated = this.c.stmt.acquire.get({
        id: params.id,
        now: params.now,
        maxReplays,
      }) as DeadLetterRow;
      this.audit(params.audit, params.id, row, updated, params.now);
      return { ok: true, deadLetter: deadLetterFromRow(updated) };
    });
  }

  async finishDeadLetterReplay(params: FinishDeadLetterReplayParams): Promise<DeadLetterChangeResult> {
    return this.c.write((): DeadLetterChangeResult => {
      const row = this.c.getRow(params.id);
      if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
      if (row.generation !== params.generation)
        return { ok: false, reason: 'stale_generation', deadLetter: deadLetterFromRow(row) };
      if (row.status !== 'replaying')
        return { ok: false, reason: 'invalid_status', deadLetter: deadLetterFromRow(row) };
      const updated = this.c.stmt.finish.get({
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
    if (params.ids.length === 0) return { resolved: [], skipped: [], notFound: [] };
    return this.c.write(() => {
      const rows = this.c.stmt.byIds.all(JSON.stringify(params.ids)) as DeadLetterRow[];
      const { resolvable, result } = planResolve(params, new Map(rows.map((r) => [r.id, r])));
      for (const { id, row } of resolvable) {
        this.c.stmt.resolve.run({ id, now: params.now, actor: params.actor, note: params.note ?? null });
        this.audit(
          { action: params.auditAction ?? 'resolve', actor: params.actor, reason: params.note ?? null },
          id,
          row,
          { ...row, status: 'resolved', generation: row.generation + 1 },
          params.now,
        );
      }
      return result;
    });
  }

  async transitionDeadLetters(params: TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { ids: [] };
    return this.c.write(() => {
      switch (params.action) {
        case 'expire':
          return {
            ids: this.c.stmt.expire.all({
              now: params.now,
              limit,
              ids: params.ids ? JSON.stringify(params.ids) : null,
            }) as string[],
          };
        case 'archive':
          return {
            ids: this.c.stmt.archive.all({
              now: params.now,
              before: params.before,
              limit,
              ids: params.ids ? JSON.stringify(params.ids) : null,
            }) as string[],
          };
        case 'release_stuck':
          return {
            ids: this.c.stmt.releaseStuck.all({ now: params.now, before: params.before, limit }) as string[],
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
    return this.c.write(() => {
      const ids = this.c.stmt.purge.all({
        before: params.before ?? null,
        ids: params.ids ? JSON.stringify(params.ids) : null,
        limit,
      }) as string[];
      if (ids.length > 0) this.c.stmt.addTally.run('purged', ids.length);
      return { ids };
    });
  }

  // ---- regrouping ---------------------------------------------------------------------------

  async regroupDeadLetters(params: RegroupDeadLettersParams): Promise<{ updated: number }> {
    validateRegroupings(params.changes);
    if (params.changes.length === 0) return { updated: 0 };
    return this.c.write(() => {
      let updated = 0;
      for (const change of params.changes) {
        updated += this.c.stmt.regroup.run(change.fingerprint, change.fingerprintVersion, change.id).changes;
      }
      return { updated };
    });
  }

  // ---- audit --------------------------------------------------------------------------------

  async appendAudit(params: { entries: readonly NewDeadLetterAuditEntry[] }): Promise<{ seqs: number[] }> {
    if (params.entries.length === 0) return { seqs: [] };
    return this.c.write(() => ({
      seqs: params.entries.map((e) => Number(this.c.stmt.insertAudit.run(...auditValues(e)).lastInsertRowid)),
    }));
  }

  async purgeAudit(params: PurgeAuditParams): Promise<{ deleted: number }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { deleted: 0 };
    // A bounded read of the oldest entries by sequence: no index on `at` is needed.
    this.purgeAuditStmt ??= this.c.db.prepare(
      `DELETE FROM redrive_dead_letter_audit WHERE seq IN (
         SELECT seq FROM (SELECT seq, at FROM redrive_dead_letter_audit ORDER BY seq LIMIT ?) WHERE at < ?)`,
    );
    const stmt = this.purgeAuditStmt;
    return this.c.write(() => ({ deleted: stmt.run(limit, params.before).changes }));
  }
}
