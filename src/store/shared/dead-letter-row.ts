/**
 * A dead-letter row and an audit row as the SQL stores (SQLite, PostgreSQL) select them, and their
 * mapping to {@link DeadLetter} and {@link DeadLetterAuditEntry}. Both tables name their columns
 * alike; they differ only in how JSON columns arrive (text on SQLite, decoded by `pg` on
 * PostgreSQL), so each store decodes those and the mapping of every other column lives here once.
 */

import { withFinalAttemptStack } from '../../core/attempt-stack.js';
import type { DeadLetter, DeadLetterAuditEntry, DeadLetterStatus } from '../../core/dead-letter.js';
import type { AttemptRecord } from '../../core/job.js';

/** The columns of a dead-letter row other than its JSON ones (`seq`: the keyset tiebreak). */
export interface DeadLetterScalarColumns {
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
  fingerprint_version: number;
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

/** A dead-letter row's JSON columns, decoded (`null` where the column is). */
export interface DeadLetterJsonValues {
  payload: unknown;
  attempts: AttemptRecord[];
  snapshot: unknown;
  requestData: unknown;
  responseData: unknown;
  metadata: Record<string, unknown>;
}

/** Maps a dead-letter row, with its JSON columns decoded by the store, to a {@link DeadLetter}. */
export function deadLetterFromColumns(row: DeadLetterScalarColumns, json: DeadLetterJsonValues): DeadLetter {
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
    fingerprintVersion: row.fingerprint_version,
    payload: json.payload,
    attempts: withFinalAttemptStack(json.attempts, row.error_stack),
    snapshot: json.snapshot,
    requestData: json.requestData,
    responseData: json.responseData,
    metadata: json.metadata,
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

/** The columns of an audit row other than its JSON `details`. */
export interface AuditScalarColumns {
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
}

/** Maps an audit row, with its `details` decoded by the store, to a {@link DeadLetterAuditEntry}. */
export function auditFromColumns(
  row: AuditScalarColumns,
  details: Record<string, unknown>,
): DeadLetterAuditEntry {
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
    details,
  };
}
