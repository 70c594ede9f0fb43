/**
 * Row <-> entity mapping for the SQLite dead-letter tables.
 */

import { withFinalAttemptStack } from '../../core/attempt-stack.js';
import type {
  DeadLetter,
  DeadLetterAuditEntry,
  NewDeadLetter,
  NewDeadLetterAuditEntry,
} from '../../core/dead-letter.js';
import type { AttemptRecord } from '../../core/job.js';
import {
  type AuditScalarColumns,
  auditFromColumns,
  type DeadLetterScalarColumns,
  deadLetterFromColumns,
} from '../shared/dead-letter-row.js';
import { ERROR_STACK_SQL, type StoredStack } from './dead-letter-stacks.js';

/** A row of `redrive_dead_letters` (selected with `rowid AS seq`; JSON columns as text). */
export interface DeadLetterRow extends DeadLetterScalarColumns {
  payload: string | null;
  attempts: string;
  snapshot: string | null;
  request_data: string | null;
  response_data: string | null;
  metadata: string;
}

/** The columns of a dead-letter row, in {@link DeadLetterRow} order (`seq` is the rowid). */
export const DEAD_LETTER_COLUMN_NAMES = [
  'seq',
  'id',
  'queue',
  'job_id',
  'job_name',
  'domain',
  'failure_type',
  'entity_type',
  'entity_id',
  'user_id',
  'error_class',
  'error_code',
  'error_message',
  'error_stack',
  'fingerprint',
  'fingerprint_version',
  'payload',
  'attempts',
  'snapshot',
  'request_data',
  'response_data',
  'metadata',
  'next_action_hint',
  'recommended_action',
  'worker_id',
  'handler_version',
  'status',
  'generation',
  'replay_count',
  'max_replays',
  'first_failed_at',
  'dead_lettered_at',
  'expires_at',
  'resolved_at',
  'resolved_by',
  'resolution_note',
  'archived_at',
  'updated_at',
  'replay_of',
  'replay_started_at',
  'last_replay_at',
  'last_replay_error',
  'replay_job_id',
] as const satisfies readonly (keyof DeadLetterRow)[];

/**
 * The select list of a dead-letter row (explicit, so raw rows have a fixed column order); the
 * stack is the entry's head joined to its shared frames (dead-letter-stacks.ts).
 */
export const DEAD_LETTER_SELECT = DEAD_LETTER_COLUMN_NAMES.map((c) =>
  c === 'seq' ? 'rowid AS seq' : c === 'error_stack' ? `${ERROR_STACK_SQL} AS error_stack` : c,
).join(', ');

/** Column positions in a raw row. */
const C = Object.fromEntries(DEAD_LETTER_COLUMN_NAMES.map((name, i) => [name, i])) as Record<
  (typeof DEAD_LETTER_COLUMN_NAMES)[number],
  number
>;

/** The row id (keyset tiebreak) and dead-letter time of a raw row. */
export function rawPosition(raw: readonly unknown[]): { seq: number; at: number } {
  return { seq: raw[C.seq] as number, at: raw[C.dead_lettered_at] as number };
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a dead-letter row to a {@link DeadLetter}. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  return deadLetterFromColumns(row, {
    payload: parseJson(row.payload),
    attempts: JSON.parse(row.attempts) as AttemptRecord[],
    snapshot: parseJson(row.snapshot),
    requestData: parseJson(row.request_data),
    responseData: parseJson(row.response_data),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  });
}

/** A value as JSON text; null for null or undefined. */
export const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** The INSERT for a dead letter; a record whose id (or job) already exists is left alone. */
export const INSERT_DEAD_LETTER_SQL = `INSERT INTO redrive_dead_letters (
  id, queue, job_id, job_name, domain, failure_type, entity_type, entity_id, user_id, error_class, error_code,
  error_message, error_stack, fingerprint, fingerprint_version, payload, attempts, snapshot, request_data, response_data, metadata,
  next_action_hint, recommended_action, worker_id, handler_version, status, replay_count, max_replays,
  first_failed_at, dead_lettered_at, expires_at, updated_at, replay_of, message_id, stack_id
) VALUES (${new Array(35).fill('?').join(', ')}) ON CONFLICT DO NOTHING`;

/** Where an entry's error message and stack frames are stored apart (see DeadLetterMessages, DeadLetterStacks). */
export interface SharedErrorText {
  /** The entry's `error_message` in `redrive_dead_letter_messages`. */
  messageId: number;
  /** The entry's `error_stack` as written: its head, and its frames by id. */
  stack: StoredStack;
}

/**
 * Where an entry sits: its job, its replay ledger and its first status. Apart from the record, so
 * that a job's dead letter is written from the caller's record and the job row as they are.
 */
export interface DeadLetterPlacement {
  queue: string | null;
  jobId: string | null;
  jobName: string | null;
  replayOf: string | null;
  replayCount: number;
  status: string;
}

/** The {@link DeadLetterPlacement} a whole {@link NewDeadLetter} carries. */
export function placementOf(dl: NewDeadLetter): DeadLetterPlacement {
  return {
    queue: dl.queue ?? null,
    jobId: dl.jobId ?? null,
    jobName: dl.jobName ?? null,
    replayOf: dl.replayOf ?? null,
    replayCount: dl.replayCount ?? 0,
    status: dl.initialStatus ?? 'pending',
  };
}

/** Positional values of {@link INSERT_DEAD_LETTER_SQL}. */
export function deadLetterValues(dl: NewDeadLetter, now: number, shared: SharedErrorText): unknown[] {
  return serializedDeadLetterValues(
    dl,
    placementOf(dl),
    toJson(dl.payload),
    JSON.stringify(dl.attempts ?? []),
    now,
    shared,
  );
}

/** The fields of a record that {@link serializedDeadLetterValues} reads (a job's dead letter has no more). */
export type DeadLetterFields = Omit<
  NewDeadLetter,
  'queue' | 'jobId' | 'jobName' | 'payload' | 'attempts' | 'replayOf' | 'replayCount' | 'initialStatus'
>;

/**
 * Positional values of {@link INSERT_DEAD_LETTER_SQL} for a record whose payload and attempts are
 * JSON text already (a job's dead letter: copied from the job row without parsing them again).
 */
export function serializedDeadLetterValues(
  dl: DeadLetterFields,
  at: DeadLetterPlacement,
  payloadJson: string | null,
  attemptsJson: string,
  now: number,
  shared: SharedErrorText,
): unknown[] {
  return [
    dl.id,
    at.queue,
    at.jobId,
    at.jobName,
    dl.domain,
    dl.failureType,
    dl.entityType ?? null,
    dl.entityId ?? null,
    dl.userId ?? null,
    dl.errorClass ?? null,
    dl.errorCode ?? null,
    dl.errorMessage,
    shared.stack.head,
    dl.fingerprint,
    // Records written without a version were grouped by version 1 (before versioning).
    dl.fingerprintVersion ?? 1,
    payloadJson,
    attemptsJson,
    toJson(dl.snapshot),
    toJson(dl.requestData),
    toJson(dl.responseData),
    JSON.stringify(dl.metadata ?? {}),
    dl.nextActionHint ?? null,
    dl.recommendedAction ?? null,
    dl.workerId ?? null,
    dl.handlerVersion ?? null,
    at.status,
    at.replayCount,
    dl.maxReplays,
    dl.firstFailedAt,
    dl.deadLetteredAt,
    dl.expiresAt ?? null,
    now,
    at.replayOf,
    shared.messageId,
    shared.stack.id,
  ];
}

/** A row of `redrive_dead_letter_audit` (`details` as text). */
export interface AuditRow extends AuditScalarColumns {
  details: string;
}

/** Maps an audit row to a {@link DeadLetterAuditEntry}. */
export function auditFromRow(row: AuditRow): DeadLetterAuditEntry {
  return auditFromColumns(row, JSON.parse(row.details) as Record<string, unknown>);
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

/**
 * Maps a raw row (an array in {@link DEAD_LETTER_COLUMN_NAMES} order, from a `.raw()` statement)
 * to a {@link DeadLetter} without an intermediate row object (the listing hot path).
 */
export function deadLetterFromRaw(raw: readonly unknown[]): DeadLetter {
  return {
    id: raw[C.id] as DeadLetterRow['id'],
    queue: raw[C.queue] as DeadLetterRow['queue'],
    jobId: raw[C.job_id] as DeadLetterRow['job_id'],
    jobName: raw[C.job_name] as DeadLetterRow['job_name'],
    domain: raw[C.domain] as DeadLetterRow['domain'],
    failureType: raw[C.failure_type] as DeadLetterRow['failure_type'],
    entityType: raw[C.entity_type] as DeadLetterRow['entity_type'],
    entityId: raw[C.entity_id] as DeadLetterRow['entity_id'],
    userId: raw[C.user_id] as DeadLetterRow['user_id'],
    errorClass: raw[C.error_class] as DeadLetterRow['error_class'],
    errorCode: raw[C.error_code] as DeadLetterRow['error_code'],
    errorMessage: raw[C.error_message] as DeadLetterRow['error_message'],
    errorStack: raw[C.error_stack] as DeadLetterRow['error_stack'],
    fingerprint: raw[C.fingerprint] as DeadLetterRow['fingerprint'],
    fingerprintVersion: raw[C.fingerprint_version] as DeadLetterRow['fingerprint_version'],
    payload: parseJson(raw[C.payload] as DeadLetterRow['payload']),
    attempts: withFinalAttemptStack(
      JSON.parse(raw[C.attempts] as DeadLetterRow['attempts']) as AttemptRecord[],
      raw[C.error_stack] as DeadLetterRow['error_stack'],
    ),
    snapshot: parseJson(raw[C.snapshot] as DeadLetterRow['snapshot']),
    requestData: parseJson(raw[C.request_data] as DeadLetterRow['request_data']),
    responseData: parseJson(raw[C.response_data] as DeadLetterRow['response_data']),
    metadata: JSON.parse(raw[C.metadata] as DeadLetterRow['metadata']) as Record<string, unknown>,
    nextActionHint: raw[C.next_action_hint] as DeadLetterRow['next_action_hint'],
    recommendedAction: raw[C.recommended_action] as DeadLetterRow['recommended_action'],
    workerId: raw[C.worker_id] as DeadLetterRow['worker_id'],
    handlerVersion: raw[C.handler_version] as DeadLetterRow['handler_version'],
    status: raw[C.status] as DeadLetterRow['status'],
    generation: raw[C.generation] as DeadLetterRow['generation'],
    replayCount: raw[C.replay_count] as DeadLetterRow['replay_count'],
    maxReplays: raw[C.max_replays] as DeadLetterRow['max_replays'],
    firstFailedAt: raw[C.first_failed_at] as DeadLetterRow['first_failed_at'],
    deadLetteredAt: raw[C.dead_lettered_at] as DeadLetterRow['dead_lettered_at'],
    expiresAt: raw[C.expires_at] as DeadLetterRow['expires_at'],
    resolvedAt: raw[C.resolved_at] as DeadLetterRow['resolved_at'],
    resolvedBy: raw[C.resolved_by] as DeadLetterRow['resolved_by'],
    resolutionNote: raw[C.resolution_note] as DeadLetterRow['resolution_note'],
    archivedAt: raw[C.archived_at] as DeadLetterRow['archived_at'],
    updatedAt: raw[C.updated_at] as DeadLetterRow['updated_at'],
    replayOf: raw[C.replay_of] as DeadLetterRow['replay_of'],
    replayStartedAt: raw[C.replay_started_at] as DeadLetterRow['replay_started_at'],
    lastReplayAt: raw[C.last_replay_at] as DeadLetterRow['last_replay_at'],
    lastReplayError: raw[C.last_replay_error] as DeadLetterRow['last_replay_error'],
    replayJobId: raw[C.replay_job_id] as DeadLetterRow['replay_job_id'],
  };
}
