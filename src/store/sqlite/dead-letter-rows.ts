/**
 * Row <-> entity mapping for the SQLite dead-letter tables.
 */
import type {
  DeadLetter,
  DeadLetterAuditEntry,
  DeadLetterStatus,
  NewDeadLetter,
  NewDeadLetterAuditEntry,
} from '../../core/dead-letter.js';
import type { AttemptRecord } from '../../core/job.js';

/** A row of `redrive_dead_letters` (selected with `rowid AS seq`). */
export interface DeadLetterRow {
  seq: number;
  id: string;
  queue: string | null;
  job_id: string | null;
  job_name: string | null;
  domain: string;
  failure_type: string;
  entity_type: string | null;
  entity_id: string | null;
  user_id: string | null;
  error_class: string | null;
  error_code: string | null;
  error_message: string;
  error_stack: string | null;
  fingerprint: string;
  payload: string | null;
  attempts: string;
  snapshot: string | null;
  request_data: string | null;
  response_data: string | null;
  metadata: string;
  next_action_hint: string | null;
  recommended_action: string | null;
  worker_id: string | null;
  handler_version: string | null;
  status: DeadLetterStatus;
  generation: number;
  replay_count: number;
  max_replays: number;
  first_failed_at: number;
  dead_lettered_at: number;
  expires_at: number | null;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
  archived_at: number | null;
  updated_at: number;
  replay_of: string | null;
  replay_started_at: number | null;
  last_replay_at: number | null;
  last_replay_error: string | null;
  replay_job_id: string | null;
}

/** The select list of a dead-letter row. */
export const DEAD_LETTER_SELECT = 'rowid AS seq, *';

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a dead-letter row to a {@link DeadLetter}. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    queue: row.queue,
    jobId: row.job_id,
    jobName: row.job_name,
    domain: row.domain,
    failureType: row.failure_type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    userId: row.user_id,
    errorClass: row.error_class,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorStack: row.error_stack,
    fingerprint: row.fingerprint,
    payload: parseJson(row.payload),
    attempts: JSON.parse(row.attempts) as AttemptRecord[],
    snapshot: parseJson(row.snapshot),
    requestData: parseJson(row.request_data),
    responseData: parseJson(row.response_data),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    nextActionHint: row.next_action_hint,
    recommendedAction: row.recommended_action,
    workerId: row.worker_id,
    handlerVersion: row.handler_version,
    status: row.status,
    generation: row.generation,
    replayCount: row.replay_count,
    maxReplays: row.max_replays,
    firstFailedAt: row.first_failed_at,
    deadLetteredAt: row.dead_lettered_at,
    expiresAt: row.expires_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
    archivedAt: row.archived_at,
    updatedAt: row.updated_at,
    replayOf: row.replay_of,
    replayStartedAt: row.replay_started_at,
    lastReplayAt: row.last_replay_at,
    lastReplayError: row.last_replay_error,
    replayJobId: row.replay_job_id,
  };
}

const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** The INSERT for a dead letter; a record whose id (or job) already exists is left alone. */
export const INSERT_DEAD_LETTER_SQL = `INSERT INTO redrive_dead_letters (
  id, queue, job_id, job_name, domain, failure_type, entity_type, entity_id, user_id, error_class, error_code,
  error_message, error_stack, fingerprint, payload, attempts, snapshot, request_data, response_data, metadata,
  next_action_hint, recommended_action, worker_id, handler_version, status, replay_count, max_replays,
  first_failed_at, dead_lettered_at, expires_at, updated_at, replay_of
) VALUES (${new Array(32).fill('?').join(', ')}) ON CONFLICT DO NOTHING`;

/** Positional values of {@link INSERT_DEAD_LETTER_SQL}. */
export function deadLetterValues(dl: NewDeadLetter, now: number): unknown[] {
  return [
    dl.id,
    dl.queue ?? null,
    dl.jobId ?? null,
    dl.jobName ?? null,
    dl.domain,
    dl.failureType,
    dl.entityType ?? null,
    dl.entityId ?? null,
    dl.userId ?? null,
    dl.errorClass ?? null,
    dl.errorCode ?? null,
    dl.errorMessage,
    dl.errorStack ?? null,
    dl.fingerprint,
    toJson(dl.payload),
    JSON.stringify(dl.attempts ?? []),
    toJson(dl.snapshot),
    toJson(dl.requestData),
    toJson(dl.responseData),
    JSON.stringify(dl.metadata ?? {}),
    dl.nextActionHint ?? null,
    dl.recommendedAction ?? null,
    dl.workerId ?? null,
    dl.handlerVersion ?? null,
    dl.initialStatus ?? 'pending',
    dl.replayCount ?? 0,
    dl.maxReplays,
    dl.firstFailedAt,
    dl.deadLetteredAt,
    dl.expiresAt ?? null,
    now,
    dl.replayOf ?? null,
  ];
}

/** A row of `redrive_dead_letter_audit`. */
export interface AuditRow {
  seq: number;
  dead_letter_id: string | null;
  action: string;
  actor: string;
  reason: string | null;
  ticket: string | null;
  at: number;
  before_status: DeadLetterStatus | null;
  after_status: DeadLetterStatus | null;
  before_generation: number | null;
  after_generation: number | null;
  details: string;
}

/** Maps an audit row to a {@link DeadLetterAuditEntry}. */
export function auditFromRow(row: AuditRow): DeadLetterAuditEntry {
  return {
    seq: row.seq,
    deadLetterId: row.dead_letter_id,
    action: row.action,
    actor: row.actor,
    reason: row.reason,
    ticket: row.ticket,
    at: row.at,
    beforeStatus: row.before_status,
    afterStatus: row.after_status,
    beforeGeneration: row.before_generation,
    afterGeneration: row.after_generation,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** The INSERT for an audit entry. */
export const INSERT_AUDIT_SQL = `INSERT INTO redrive_dead_letter_audit (
  dead_letter_id, action, actor, reason, ticket, at, before_status, after_status, before_generation,
  after_generation, details
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Positional values of {@link INSERT_AUDIT_SQL}. */
export function auditValues(entry: NewDeadLetterAuditEntry): unknown[] {
  return [
    entry.deadLetterId,
    entry.action,
    entry.actor,
    entry.reason ?? null,
    entry.ticket ?? null,
    entry.at,
    entry.beforeStatus,
    entry.afterStatus,
    entry.beforeGeneration,
    entry.afterGeneration,
    JSON.stringify(entry.details ?? {}),
  ];
}
