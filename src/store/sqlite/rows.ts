/**
 * Row <-> entity mapping for the SQLite store.
 */
import type { DeadLetter, DeadLetterStatus, NewDeadLetter } from '../../core/dead-letter.js';
import type { AttemptRecord, ClaimedJob, Job, JobState } from '../../core/job.js';

/** The job columns, in the order the row type lists them. */
export const JOB_COLUMNS =
  'id, queue, name, payload, state, priority, attempts_made, max_attempts, orphan_count, rate_limit_delays, run_at, created_at, started_at, finished_at, lease_expires_at, claim_token, worker_id, timeout_ms, backoff, idempotency_key, result, attempts, dead_letter_id, replay_of';

/** A row of `redrive_jobs`. */
export interface JobRow {
  id: number;
  queue: string;
  name: string;
  payload: string;
  state: JobState;
  priority: 0 | 1 | 2;
  attempts_made: number;
  max_attempts: number;
  orphan_count: number;
  rate_limit_delays: number;
  run_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_expires_at: number | null;
  claim_token: string | null;
  worker_id: string | null;
  timeout_ms: number | null;
  backoff: string | null;
  idempotency_key: string | null;
  result: string | null;
  attempts: string | null;
  dead_letter_id: string | null;
  replay_of: string | null;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a job row to a {@link Job}. */
export function jobFromRow(row: JobRow): Job {
  return {
    id: String(row.id),
    queue: row.queue,
    name: row.name,
    payload: JSON.parse(row.payload),
    state: row.state,
    priority: row.priority,
    attemptsMade: row.attempts_made,
    maxAttempts: row.max_attempts,
    orphanCount: row.orphan_count,
    rateLimitDelays: row.rate_limit_delays,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    leaseExpiresAt: row.lease_expires_at,
    workerId: row.worker_id,
    timeoutMs: row.timeout_ms,
    backoff: parseJson(row.backoff) as Job['backoff'],
    idempotencyKey: row.idempotency_key,
    result: parseJson(row.result),
    attempts: (parseJson(row.attempts) as AttemptRecord[] | null) ?? [],
    deadLetterId: row.dead_letter_id,
    replayOf: row.replay_of,
  };
}

/** Maps a claimed row (with its claim token) to a {@link ClaimedJob}. */
export function claimedJobFromRow(row: JobRow): ClaimedJob {
  const job = jobFromRow(row) as ClaimedJob;
  job.token = row.claim_token as string;
  return job;
}

/** A row of `redrive_dead_letters`. */
export interface DeadLetterRow {
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
}

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
  };
}

const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** Named parameters for inserting a dead letter. */
export function deadLetterParams(dl: NewDeadLetter, now: number): Record<string, unknown> {
  return {
    id: dl.id,
    queue: dl.queue,
    job_id: dl.jobId,
    job_name: dl.jobName,
    domain: dl.domain,
    failure_type: dl.failureType,
    entity_type: dl.entityType,
    entity_id: dl.entityId,
    user_id: dl.userId,
    error_class: dl.errorClass,
    error_code: dl.errorCode,
    error_message: dl.errorMessage,
    error_stack: dl.errorStack,
    fingerprint: dl.fingerprint,
    payload: toJson(dl.payload),
    attempts: JSON.stringify(dl.attempts),
    snapshot: toJson(dl.snapshot),
    request_data: toJson(dl.requestData),
    response_data: toJson(dl.responseData),
    metadata: JSON.stringify(dl.metadata ?? {}),
    next_action_hint: dl.nextActionHint,
    recommended_action: dl.recommendedAction,
    worker_id: dl.workerId,
    handler_version: dl.handlerVersion,
    status: 'pending',
    max_replays: dl.maxReplays,
    first_failed_at: dl.firstFailedAt,
    dead_lettered_at: dl.deadLetteredAt,
    expires_at: dl.expiresAt,
    updated_at: now,
  };
}

/** The INSERT for a dead letter; a record whose id (or job) already exists is left alone. */
export const INSERT_DEAD_LETTER_SQL = `INSERT INTO redrive_dead_letters (
  id, queue, job_id, job_name, domain, failure_type, entity_type, entity_id, user_id, error_class, error_code,
  error_message, error_stack, fingerprint, payload, attempts, snapshot, request_data, response_data, metadata,
  next_action_hint, recommended_action, worker_id, handler_version, status, max_replays, first_failed_at,
  dead_lettered_at, expires_at, updated_at
) VALUES (
  @id, @queue, @job_id, @job_name, @domain, @failure_type, @entity_type, @entity_id, @user_id, @error_class, @error_code,
  @error_message, @error_stack, @fingerprint, @payload, @attempts, @snapshot, @request_data, @response_data, @metadata,
  @next_action_hint, @recommended_action, @worker_id, @handler_version, @status, @max_replays, @first_failed_at,
  @dead_lettered_at, @expires_at, @updated_at
) ON CONFLICT DO NOTHING`;
