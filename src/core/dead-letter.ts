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
  /** Groups failures of the same bug (see `core/fingerprint.ts`). */
  fingerprint: string;
  /**
   * The version of the grouping algorithm that computed `fingerprint`. Stored with the record, so
   * fingerprints from different versions are never compared as equals; `redrive dlq regroup`
   * recomputes older ones.
   */
  fingerprintVersion: number;
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
  /**
   * The dead letter this one continues: set when a replayed job failed again. The store carries the
   * predecessor's replay ledger (`replayCount`, `maxReplays`) over, so a replay budget survives the
   * chain. Optional; default null.
   */
  replayOf?: string | null;
  /** Replays already spent (carried over a replay chain or from an import). Default 0. */
  replayCount?: number;
  /** The status to create the record in. Default `pending`. */
  initialStatus?: 'pending' | 'requires_review';
}

/** A stored dead letter. */
export interface DeadLetter extends Omit<NewDeadLetter, 'replayOf' | 'replayCount' | 'initialStatus'> {
  status: DeadLetterStatus;
  /** Bumped on every state change; operators name the generation they saw. */
  generation: number;
  replayCount: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  archivedAt: number | null;
  updatedAt: number;
  /** The dead letter this one continues (a replayed job that failed again), if any. */
  replayOf: string | null;
  /** When the current or last replay started. */
  replayStartedAt: number | null;
  /** When the last replay finished. */
  lastReplayAt: number | null;
  /** Why the last replay failed (null if it succeeded or none ran). */
  lastReplayError: string | null;
  /** The job a successful queue replay enqueued. */
  replayJobId: string | null;
}

/** Whether `from -> to` is a legal dead-letter transition. */
export function canTransitionDeadLetter(from: DeadLetterStatus, to: DeadLetterStatus): boolean {
  return DEAD_LETTER_TRANSITIONS[from].includes(to);
}

/** Statuses of open entries: waiting on a replay or an operator (what dashboards count as open). */
export const OPEN_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'requires_review'];

/** Statuses of entries past their TTL or whose TTL still runs (`expired()` lists those due). */
export const TTL_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = [
  'pending',
  'requires_review',
  'expired',
];

/** Statuses an operator may resolve. */
export const RESOLVABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'requires_review'];

/** Statuses a normal retry may acquire (force-redrive also takes `requires_review`). */
export const REPLAYABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending'];

/** Statuses force-redrive may acquire. */
export const REDRIVABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'requires_review'];

/** Statuses whose TTL still runs: `expire` moves them to `expired`. */
export const EXPIRABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'requires_review'];

/** Statuses `archive` moves to `archived`. */
export const ARCHIVABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['resolved', 'expired'];

/** Statuses `purgeDeadLetters` deletes (archived entries only). */
export const PURGEABLE_DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['archived'];

/** One entry of the operator audit trail. */
export interface DeadLetterAuditEntry {
  /** Monotonic sequence number (newest is highest). */
  seq: number;
  /** The dead letter acted on; null for bulk actions (purge, fallback recovery). */
  deadLetterId: string | null;
  /** `force_redrive`, `retry`, `resolve`, `purge`, ... */
  action: string;
  actor: string;
  reason: string | null;
  ticket: string | null;
  at: number;
  beforeStatus: DeadLetterStatus | null;
  afterStatus: DeadLetterStatus | null;
  beforeGeneration: number | null;
  afterGeneration: number | null;
  details: Record<string, unknown>;
}

/** An audit entry to append (the store assigns `seq`). */
export type NewDeadLetterAuditEntry = Omit<DeadLetterAuditEntry, 'seq'>;
