/**
 * The dead-letter entity: a forensic record of a failure, and its lifecycle.
 */
import type { AttemptRecord } from './job.js';

/**
 * - `pending`: waiting for an operator or a replay.
 * - `replaying`: a replay holds it; nobody else may act on it.
 * - `resolved`: replayed successfully or closed by an operator. Terminal for replay.
 * - `requires_review`: the replay budget is spent (or it is a poison pill); only force-redrive moves it.
 * - `expired`: its TTL passed without a resolution.
 * - `archived`: kept for the record until purged.
 */
export type DeadLetterStatus =
  | 'pending'
  | 'replaying'
  | 'resolved'
  | 'requires_review'
  | 'expired'
  | 'archived';

/** Every dead-letter status. */
export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = [
  'pending',
  'replaying',
  'resolved',
  'requires_review',
  'expired',
  'archived',
];

/** The allowed dead-letter transitions (purge removes `archived` rows). */
export const DEAD_LETTER_TRANSITIONS: Readonly<Record<DeadLetterStatus, readonly DeadLetterStatus[]>> = {
  pending: ['replaying', 'resolved', 'expired', 'requires_review'],
  replaying: ['resolved', 'pending', 'requires_review'],
  requires_review: ['replaying', 'resolved', 'expired'],
  resolved: ['archived'],
  expired: ['archived'],
  archived: [],
};

/** Why something was dead-lettered. */
export type FailureType =
  | 'permanent'
  | 'retries_exhausted'
  | 'poison_pill'
  | 'timeout'
  | 'rate_limit_exhausted'
  | (string & {});

/** What a caller provides to record a failure; the store fills ids, status and timestamps. */
export interface NewDeadLetter {
  id: string;
  queue: string | null;
  jobId: string | null;
  jobName: string | null;
  domain: string;
  failureType: FailureType;
  entityType: string | null;
  entityId: string | null;
  userId: string | null;
  errorClass: string | null;
  errorCode: string | null;
  errorMessage: string;
  errorStack: string | null;
  fingerprint: string;
  payload: unknown;
  attempts: AttemptRecord[];
  snapshot: unknown;
  requestData: unknown;
  responseData: unknown;
  metadata: Record<string, unknown>;
  nextActionHint: string | null;
  recommendedAction: string | null;
  workerId: string | null;
  handlerVersion: string | null;
  maxReplays: number;
  firstFailedAt: number;
  deadLetteredAt: number;
  expiresAt: number | null;
}

/** A stored dead letter. */
export interface DeadLetter extends NewDeadLetter {
  status: DeadLetterStatus;
  /** Bumped on every state change; operators name the generation they saw. */
  generation: number;
  replayCount: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  archivedAt: number | null;
  updatedAt: number;
}
