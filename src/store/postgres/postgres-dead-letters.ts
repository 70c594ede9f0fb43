/**
 * The dead-letter half of the PostgreSQL store. Guarded single-entry changes (acquire, finish)
 * run in one transaction that locks the row (`FOR UPDATE`), checks the guard (status, generation,
 * budget), writes, and appends the audit row, so two concurrent operators never both win. Bulk
 * moves (expire, archive, release, purge) are one statement each, bounded by `limit`.
 */

import type pg from 'pg';
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
import { REDACTION_FAILED } from '../shared/redaction-failed.js';
import { planResolve } from '../shared/resolve-plan.js';
import { type DeadLetterRow, deadLetterFromRow, deadLetterRecord } from './dead-letter-rows.js';
import type { PostgresConnection } from './postgres-connection.js';
import { PostgresDeadLetterReads } from './postgres-dead-letter-reads.js';

/** Dead-letter storage on a {@link PostgresConnection}. */
export class PostgresDeadLetters implements DeadLetterStore {
  private readonly reads: PostgresDeadLetterReads;

  constructor(private readonly conn: PostgresConnection) {
    this.reads = new PostgresDeadLetterReads(conn);
  }

  // ---- capture ------------------------------------------------------------------------------

  /**
   * The record of a failing job's dead letter, in the JSON form the insert statements read. The
   * payload goes through the caller's `redactPayload`; `attempts` are filled by the statement from
   * the job row; the replay ledger of `replayOf` is carried over by the statement.
   */
  recordFromJob(
    deadLetter: DeadLetterFromJob,
    job: {
      jobId: string;
      queue: string;
      jobName: string;
      payloadJson: string;
      replayOf: string | null;
      now: number;
    },
  ): Record<string, unknown> {
    const { redactPayload, ...dl } = deadLetter;
    let payload: unknown = JSON.parse(job.payloadJson);
    if (redactPayload) {
      try {
        payload = redactPayload(payload);
      } catch {
        payload = REDACTION_FAILED;
      }
    }
    return deadLetterRecord(
      {
        ...dl,
        queue: job.queue,
        jobId: job.jobId,
        jobName: job.jobName,
        payload,
        attempts: [],
        replayOf: job.replayOf,
      },
      job.now,
    );
  }

  /** Inserts records (JSON form); with `carryLedger`, each takes over its predecessor's replay ledger. */
  async insertRecords(
    records: readonly Record<string, unknown>[],
    carryLedger: boolean,
    client?: pg.PoolClient,
  ): Promise<string[]> {
    if (records.length === 0) return [];
    const rows = await this.conn.run<{ id: string }>(
      'dead-letters',
      'insertRecords',
      [JSON.stringify(records), carryLedger],
      client,
    );
    return rows.map((r) => r.id);
  }

  async insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    const inserted = new Set(
      await this.insertRecords(
        params.deadLetters.map((dl) => deadLetterRecord(dl, params.now)),
        false,
      ),
    );
    // In input order (RETURNING order is the insert order, but say it explicitly).
    const ids = params.deadLetters.map((dl) => dl.id).filter((id) => inserted.delete(id));
    return { inserted: ids.length, ids };
  }

  // ---- reads (postgres-dead-letter-reads.ts) ------------------------------------------------

  getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    return this.reads.getDeadLetter(params);
  }
  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    return this.reads.getDeadLetterByJob(params);
  }
  listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage> {
    return this.reads.listDeadLetters(params);
  }
  facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets> {
    return this.reads.facetDeadLetters(params);
  }
  topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures> {
    return this.reads.topDeadLetterFailures(params);
  }
  getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats> {
    return this.reads.getDeadLetterStats(params);
  }
  listAudit(params: ListAuditParams): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    return this.reads.listAudit(params);
  }

  // ---- state changes ------------------------------------------------------------------------

  private async audit(
    client: pg.PoolClient,
    input: AuditInput | undefined,
    id: string | null,
    before: DeadLetterRow | null,
    after: { status: DeadLetterStatus; generation: number } | null,
    now: number,
  ): Promise<void> {
    if (!input) return;
    await this.appendAuditOn(client, [
      {
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
      },
    ]);
  }

  private async locked(client: pg.PoolClient, id: string): Promise<DeadLetterRow | undefined> {
    return (await this.conn.run<DeadLetterRow>('dead-letters', 'getForUpdate', [id], client))[0];
  }

  async acquireDeadLetterForReplay(params: AcquireDeadLetterParams): Promise<DeadLetterChangeResult> {
    return this.conn.transaction('acquire dead letter', async (client): Promise<DeadLetterChangeResult> => {
      const row = await this.locked(client, params.id);
      if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
      const current = deadLetterFromRow(row);
      if (params.expectedGeneration !== undefined && row.generation !== params.expectedGeneration)
        return { ok: false, reason: 'stale_generation', deadLetter: current };
      const allowed = params.force ? REDRIVABLE_DEAD_LETTER_STATUSES : REPLAYABLE_DEAD_LETTER_STATUSES;
      if (!allowed.includes(row.status)) return { ok: false, reason: 'invalid_status', deadLetter: current };
      if (!params.force && row.replay_count >= row.max_replays)
        return { ok: false, reason: 'at_cap', deadLetter: current };
      const maxReplays = params.force ? row.replay_count + params.force.freshBudget : row.max_replays;
      const [updated] = await this.conn.run<DeadLetterRow>(
        'dead-letters',
        'acquire',
        [params.id, params.now, maxReplays],
        client,
      );
      await this.audit(client, params.audit, params.id, row, updated!, params.now);
      return { ok: true, deadLetter: deadLetterFromRow(updated!) };
    });
  }

  async finishDeadLetterReplay(params: FinishDeadLetterReplayParams): Promise<DeadLetterChangeResult> {
    return this.conn.transaction(
      'finish dead-letter replay',
      async (client): Promise<DeadLetterChangeResult> => {
        const row = await this.locked(client, params.id);
        if (!row) return { ok: false, reason: 'not_found', deadLetter: null };
        if (row.generation !== params.generation)
          return { ok: false, reason: 'stale_generation', deadLetter: deadLetterFromRow(row) };
        if (row.status !== 'replaying')
          return { ok: false, reason: 'invalid_status', deadLetter: deadLetterFromRow(row) };
        const [updated] = await this.conn.run<DeadLetterRow>(
          'dead-letters',
          'finish',
          [
            params.id,
            params.now,
            params.status,
            params.error ?? null,
            params.replayJobId ?? null,
            params.resolvedBy ?? null,
            params.note ?? null,
          ],
          client,
        );
        await this.audit(client, params.audit, params.id, row, updated!, params.now);
        return { ok: true, deadLetter: deadLetterFromRow(updated!) };
      },
    );
  }

  async resolveDeadLetters(params: ResolveDeadLettersParams): Promise<ResolveDeadLettersResult> {
    if (params.ids.length === 0) return { resolved: [], skipped: [], notFound: [] };
    return this.conn.transaction('resolve dead letters', async (client) => {
      const rows = await this.conn.run<DeadLetterRow>(
        'dead-letters',
        'byIdsForUpdate',
        [[...params.ids]],
        client,
      );
      const { resolvable, result } = planResolve(params, new Map(rows.map((r) => [r.id, r])));
      const audits: NewDeadLetterAuditEntry[] = [];
      for (const { id, row } of resolvable) {
        audits.push({
          deadLetterId: id,
          action: params.auditAction ?? 'resolve',
          actor: params.actor,
          reason: params.note ?? null,
          ticket: null,
          at: params.now,
          beforeStatus: row.status,
          afterStatus: 'resolved',
          beforeGeneration: row.generation,
          afterGeneration: row.generation + 1,
          details: {},
        });
      }
      if (result.resolved.length > 0) {
        await this.conn.run(
          'dead-letters',
          'resolve',
          [result.resolved, params.now, params.actor, params.note ?? null],
          client,
        );
        await this.appendAuditOn(client, audits);
      }
      return result;
    });
  }

  async transitionDeadLetters(params: TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { ids: [] };
    let rows: { id: string }[];
    switch (params.action) {
      case 'expire':
        rows = await this.conn.run('dead-letters', 'expire', [
          params.now,
          limit,
          params.ids ? [...params.ids] : null,
        ]);
        break;
      case 'archive':
        rows = await this.conn.run('dead-letters', 'archive', [
          params.now,
          params.before,
          limit,
          params.ids ? [...params.ids] : null,
        ]);
        break;
      case 'release_stuck':
        rows = await this.conn.run('dead-letters', 'releaseStuck', [params.now, params.before, limit]);
        break;
      default:
        throw new ValidationError(
          'action',
          `unknown transition ${String((params as { action: unknown }).action)}`,
        );
    }
    return { ids: rows.map((r) => r.id) };
  }

  async purgeDeadLetters(params: PurgeDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { ids: [] };
    const rows = await this.conn.run<{ id: string }>('dead-letters', 'purge', [
      params.before ?? null,
      params.ids ? [...params.ids] : null,
      limit,
    ]);
    return { ids: rows.map((r) => r.id) };
  }

  async regroupDeadLetters(params: RegroupDeadLettersParams): Promise<{ updated: number }> {
    validateRegroupings(params.changes);
    if (params.changes.length === 0) return { updated: 0 };
    const rows = await this.conn.run<{ id: string }>('dead-letters', 'regroup', [
      params.changes.map((c) => c.id),
      params.changes.map((c) => c.fingerprint),
      params.changes.map((c) => c.fingerprintVersion),
    ]);
    return { updated: rows.length };
  }

  // ---- audit --------------------------------------------------------------------------------

  private async appendAuditOn(
    client: pg.PoolClient | undefined,
    entries: readonly NewDeadLetterAuditEntry[],
  ): Promise<number[]> {
    const rows = await this.conn.run<{ seq: number }>(
      'dead-letters',
      'insertAudit',
      [JSON.stringify(entries)],
      client,
    );
    return rows.map((r) => r.seq).sort((a, b) => a - b);
  }

  async appendAudit(params: { entries: readonly NewDeadLetterAuditEntry[] }): Promise<{ seqs: number[] }> {
    if (params.entries.length === 0) return { seqs: [] };
    return { seqs: await this.appendAuditOn(undefined, params.entries) };
  }

  async purgeAudit(params: PurgeAuditParams): Promise<{ deleted: number }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { deleted: 0 };
    const rows = await this.conn.run('dead-letters', 'purgeAudit', [limit, params.before]);
    return { deleted: rows.length };
  }
}
