import type {
  DeadLetter,
  DeadLetterAuditEntry,
  DeadLetterStatus,
  NewDeadLetter,
  NewDeadLetterAuditEntry,
} from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import {
  type AcquireDeadLetterParams,
  type AuditInput,
  type DeadLetterChangeResult,
  type DeadLetterConflictReason,
  type DeadLetterFacets,
  type DeadLetterFilter,
  type DeadLetterPage,
  type DeadLetterStore,
  type DeadLetterStoreStats,
  expectedGenerationOf,
  type FinishDeadLetterReplayParams,
  type ListAuditParams,
  type ListDeadLettersParams,
  type PurgeAuditParams,
  type PurgeDeadLettersParams,
  type RegroupDeadLettersParams,
  type ResolveDeadLettersParams,
  type ResolveDeadLettersResult,
  type TopFailures,
  type TransitionDeadLettersParams,
} from '../dead-letter-store.js';
import { validateRegroupings } from '../regroup-changes.js';
import { auditEntryJson, deadLetterFromHash, newDeadLetterFields } from './dead-letter-codec.js';
import { fieldsToRecord } from './job-codec.js';
import type { RedisKeys } from './keys.js';
import {
  type DeadLetterBackend,
  RedisDeadLetterReads,
  runDeadLetterScript,
} from './redis-dead-letter-reads.js';
import { runScript } from './scripts.js';

/** Records per insert script call (a larger import is several calls in one MULTI/EXEC). */
const INSERT_CHUNK = 500;

type Flat = (string | null)[];

function changeResult(reply: unknown): DeadLetterChangeResult {
  const [outcome, fields] = reply as [string, Flat | undefined];
  const deadLetter = fields && fields.length > 0 ? deadLetterFromHash(fieldsToRecord(fields)) : null;
  if (outcome === 'ok' && deadLetter) return { ok: true, deadLetter };
  return { ok: false, reason: outcome as DeadLetterConflictReason, deadLetter };
}

function auditJson(audit: AuditInput | undefined): string {
  if (!audit) return '';
  return JSON.stringify({
    action: audit.action,
    actor: audit.actor,
    reason: audit.reason ?? null,
    ticket: audit.ticket ?? null,
    details: JSON.stringify(audit.details ?? {}),
  });
}

const clampLimit = (limit: number) => Math.max(0, Math.floor(Number.isFinite(limit) ? limit : 0));

export class RedisDeadLetters implements DeadLetterStore {
  private readonly reads: RedisDeadLetterReads;

  constructor(private readonly b: DeadLetterBackend) {
    this.reads = new RedisDeadLetterReads(b);
  }

  private get keys(): RedisKeys {
    return this.b.keys;
  }

  // ---- capture ------------------------------------------------------------------------------

  async insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    if (params.deadLetters.length === 0) return { inserted: 0, ids: [] };
    await this.b.indexes.prepare();
    const groups = params.deadLetters.map((dl, i) => {
      const fields = newDeadLetterFields(dl, i);
      return [dl.id, dl.jobId ?? '', fields.length / 2, ...fields];
    });
    const chunks: (string | number)[][][] = [];
    for (let i = 0; i < groups.length; i += INSERT_CHUNK) chunks.push(groups.slice(i, i + INSERT_CHUNK));
    const argsOf = (chunk: (string | number)[][]) => [this.keys.base, params.now, chunk.length, ...chunk];
    let ids: string[];
    if (chunks.length === 1) {
      ids = (await this.b.call(
        'insert-dead-letters',
        () =>
          runScript(
            this.b.client,
            'insert-dead-letters',
            [this.keys.deadLetterAll],
            argsOf(chunks[0]!),
          ) as Promise<unknown>,
      )) as string[];
    } else {
      const multi = this.b.client.multi();
      for (const chunk of chunks)
        runScript(multi, 'insert-dead-letters', [this.keys.deadLetterAll], argsOf(chunk));
      const replies = await this.b.call('insert-dead-letters', () => multi.exec());
      ids = [];
      for (const [error, reply] of replies ?? []) {
        if (error) throw error;
        ids.push(...(reply as string[]));
      }
    }
    return { inserted: ids.length, ids };
  }

  // ---- reads (redis-dead-letter-reads.ts) -------------------------------------------------

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

  async acquireDeadLetterForReplay(params: AcquireDeadLetterParams): Promise<DeadLetterChangeResult> {
    if (params.force && !Number.isSafeInteger(params.force.freshBudget)) {
      throw new ValidationError('force.freshBudget', 'must be an integer');
    }
    return changeResult(
      await runDeadLetterScript(
        this.b,
        'acquire-dead-letter',
        [this.keys.deadLetterAll],
        [
          params.id,
          params.now,
          params.expectedGeneration ?? '',
          params.force ? params.force.freshBudget : '',
          auditJson(params.audit),
        ],
      ),
    );
  }

  async finishDeadLetterReplay(params: FinishDeadLetterReplayParams): Promise<DeadLetterChangeResult> {
    if (!['resolved', 'pending', 'requires_review'].includes(params.status)) {
      throw new ValidationError('status', "must be 'resolved', 'pending' or 'requires_review'");
    }
    const empty: string[] = [];
    if (params.error === '') empty.push('error');
    if (params.resolvedBy === '') empty.push('resolvedBy');
    if (params.note === '') empty.push('note');
    return changeResult(
      await runDeadLetterScript(
        this.b,
        'finish-dead-letter-replay',
        [this.keys.deadLetterAll],
        [
          params.id,
          params.generation,
          params.now,
          params.status,
          params.error ?? '',
          params.replayJobId ?? '',
          params.resolvedBy ?? '',
          params.note ?? '',
          auditJson(params.audit),
          empty,
        ],
      ),
    );
  }

  async resolveDeadLetters(params: ResolveDeadLettersParams): Promise<ResolveDeadLettersResult> {
    if (params.ids.length === 0) return { resolved: [], skipped: [], notFound: [] };
    const pairs = params.ids.map((id) => [id, expectedGenerationOf(params.expectedGenerations, id) ?? '']);
    const [resolved, skipped, notFound] = (await runDeadLetterScript(
      this.b,
      'resolve-dead-letters',
      [this.keys.deadLetterAll],
      [
        params.now,
        params.actor,
        params.note ?? '',
        params.note === '' ? '1' : '0',
        params.auditAction ?? 'resolve',
        pairs.length,
        ...pairs,
      ],
    )) as [string[], [string, DeadLetterStatus, 'stale_generation' | 'invalid_status'][], string[]];
    return {
      resolved,
      skipped: skipped.map(([id, status, reason]) => ({ id, status, reason })),
      notFound,
    };
  }

  async transitionDeadLetters(params: TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = clampLimit(params.limit);
    if (limit === 0) return { ids: [] };
    switch (params.action) {
      case 'expire':
        return {
          ids: (await runDeadLetterScript(
            this.b,
            'expire-dead-letters',
            [this.keys.deadLetterExpiry],
            [params.now, limit, [...(params.ids ?? [])]],
          )) as string[],
        };
      case 'archive':
        return {
          ids: (await runDeadLetterScript(
            this.b,
            'archive-dead-letters',
            [`${this.keys.base}dl:closed`],
            [params.now, params.before, limit, [...(params.ids ?? [])]],
          )) as string[],
        };
      case 'release_stuck':
        return {
          ids: (await runDeadLetterScript(
            this.b,
            'release-stuck-dead-letters',
            [`${this.keys.base}dl:replaying`],
            [params.now, params.before, limit],
          )) as string[],
        };
      default:
        throw new ValidationError(
          'action',
          `unknown transition ${String((params as { action: unknown }).action)}`,
        );
    }
  }

  async purgeDeadLetters(params: PurgeDeadLettersParams): Promise<{ ids: string[] }> {
    const limit = clampLimit(params.limit);
    if (limit === 0) return { ids: [] };
    return {
      ids: (await runDeadLetterScript(
        this.b,
        'purge-dead-letters',
        [`${this.keys.base}dl:archived`],
        [params.before ?? '', limit, [...(params.ids ?? [])]],
      )) as string[],
    };
  }

  // ---- regrouping ---------------------------------------------------------------------------

  async regroupDeadLetters(params: RegroupDeadLettersParams): Promise<{ updated: number }> {
    validateRegroupings(params.changes);
    if (params.changes.length === 0) return { updated: 0 };
    const args = params.changes.map((c) => [c.id, c.fingerprint, c.fingerprintVersion]);
    const updated = await runDeadLetterScript(
      this.b,
      'regroup-dead-letters',
      [this.keys.deadLetterAll],
      args,
    );
    return { updated: Number(updated) };
  }

  // ---- audit --------------------------------------------------------------------------------

  async appendAudit(params: { entries: readonly NewDeadLetterAuditEntry[] }): Promise<{ seqs: number[] }> {
    if (params.entries.length === 0) return { seqs: [] };
    const args = params.entries.map((e) => [auditEntryJson(e), e.deadLetterId ?? '']);
    const seqs = (await runDeadLetterScript(
      this.b,
      'append-audit',
      [this.keys.auditAll],
      [args.length, ...args],
    )) as number[];
    return { seqs: seqs.map(Number) };
  }

  async purgeAudit(params: PurgeAuditParams): Promise<{ deleted: number }> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { deleted: 0 };
    const deleted = await runDeadLetterScript(
      this.b,
      'purge-audit',
      [this.keys.auditAll],
      [Math.round(params.before), limit],
    );
    return { deleted: Number(deleted) };
  }
}
