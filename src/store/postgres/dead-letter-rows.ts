/**
 * Row <-> entity mapping for the PostgreSQL dead-letter tables: the JSON record a dead-letter insert
 * reads (jsonb_to_recordset), and the dead-letter and audit rows (`pg` decodes their jsonb columns).
 */

import type { DeadLetter, DeadLetterAuditEntry, NewDeadLetter } from '../../core/dead-letter.js';
import type { AttemptRecord } from '../../core/job.js';
import {
  type AuditScalarColumns,
  auditFromColumns,
  type DeadLetterScalarColumns,
  deadLetterFromColumns,
} from '../shared/dead-letter-row.js';

type Kind = 'text' | 'json' | 'int';

/** The dead-letter columns a record carries, with how each is read from its JSON form. */
const DEAD_LETTER_COLUMNS: readonly [column: string, kind: Kind][] = [
  ['id', 'text'],
  ['queue', 'text'],
  ['job_id', 'text'],
  ['job_name', 'text'],
  ['domain', 'text'],
  ['failure_type', 'text'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['user_id', 'text'],
  ['error_class', 'text'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['error_stack', 'text'],
  ['fingerprint', 'text'],
  ['fingerprint_version', 'int'],
  ['payload', 'json'],
  ['attempts', 'json'],
  ['snapshot', 'json'],
  ['request_data', 'json'],
  ['response_data', 'json'],
  ['metadata', 'json'],
  ['next_action_hint', 'text'],
  ['recommended_action', 'text'],
  ['worker_id', 'text'],
  ['handler_version', 'text'],
  ['status', 'text'],
  ['replay_count', 'int'],
  ['max_replays', 'int'],
  ['first_failed_at', 'int'],
  ['dead_lettered_at', 'int'],
  ['expires_at', 'int'],
  ['updated_at', 'int'],
  ['replay_of', 'text'],
];

/** The column list of a dead-letter insert. */
export const DEAD_LETTER_INSERT_COLUMNS = DEAD_LETTER_COLUMNS.map(([c]) => c).join(', ');

/**
 * The select list that reads a dead-letter record from a jsonb value `r` (see
 * {@link deadLetterRecord}). With `ledgerFrom`, the alias of the dead letter this one continues:
 * its replay ledger (count, budget) is carried over and decides the initial status.
 */
export function deadLetterInsertValues(ledgerFrom?: string): string {
  return DEAD_LETTER_COLUMNS.map(([column, kind]) => {
    const read =
      kind === 'text'
        ? `r ->> '${column}'`
        : kind === 'int'
          ? `(r ->> '${column}')::bigint`
          : `NULLIF(r -> '${column}', 'null'::jsonb)`;
    if (!ledgerFrom) return read;
    const p = ledgerFrom;
    if (column === 'replay_count') return `COALESCE(${p}.replay_count, ${read})`;
    if (column === 'max_replays') return `COALESCE(${p}.max_replays, ${read})`;
    if (column === 'status')
      return `CASE WHEN ${p}.id IS NULL THEN ${read} WHEN ${p}.replay_count >= ${p}.max_replays THEN 'requires_review' ELSE 'pending' END`;
    return read;
  }).join(', ');
}

/** A record in the JSON form {@link deadLetterInsertValues} reads. */
export function deadLetterRecord(dl: NewDeadLetter, now: number): Record<string, unknown> {
  return {
    id: dl.id,
    queue: dl.queue ?? null,
    job_id: dl.jobId ?? null,
    job_name: dl.jobName ?? null,
    domain: dl.domain,
    failure_type: dl.failureType,
    entity_type: dl.entityType ?? null,
    entity_id: dl.entityId ?? null,
    user_id: dl.userId ?? null,
    error_class: dl.errorClass ?? null,
    error_code: dl.errorCode ?? null,
    error_message: dl.errorMessage,
    error_stack: dl.errorStack ?? null,
    fingerprint: dl.fingerprint,
    fingerprint_version: dl.fingerprintVersion ?? 1,
    payload: dl.payload ?? null,
    attempts: dl.attempts ?? [],
    snapshot: dl.snapshot ?? null,
    request_data: dl.requestData ?? null,
    response_data: dl.responseData ?? null,
    metadata: dl.metadata ?? {},
    next_action_hint: dl.nextActionHint ?? null,
    recommended_action: dl.recommendedAction ?? null,
    worker_id: dl.workerId ?? null,
    handler_version: dl.handlerVersion ?? null,
    status: dl.initialStatus ?? 'pending',
    replay_count: dl.replayCount ?? 0,
    max_replays: dl.maxReplays,
    first_failed_at: dl.firstFailedAt,
    dead_lettered_at: dl.deadLetteredAt,
    expires_at: dl.expiresAt ?? null,
    updated_at: now,
    replay_of: dl.replayOf ?? null,
  };
}

/** A row of `dead_letters` (`pg` decodes its JSON columns). */
export interface DeadLetterRow extends DeadLetterScalarColumns {
  payload: unknown;
  attempts: AttemptRecord[];
  snapshot: unknown;
  request_data: unknown;
  response_data: unknown;
  metadata: Record<string, unknown>;
}

/** Maps a dead-letter row to a {@link DeadLetter}. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  return deadLetterFromColumns(row, {
    payload: row.payload ?? null,
    attempts: row.attempts,
    snapshot: row.snapshot ?? null,
    requestData: row.request_data ?? null,
    responseData: row.response_data ?? null,
    metadata: row.metadata,
  });
}

/** A row of `dead_letter_audit` (`pg` decodes `details`). */
export interface AuditRow extends AuditScalarColumns {
  details: Record<string, unknown>;
}

/** Maps an audit row to a {@link DeadLetterAuditEntry}. */
export function auditFromRow(row: AuditRow): DeadLetterAuditEntry {
  return auditFromColumns(row, row.details);
}
