/**
 * The shapes of a dead letter in the admin API and the CLI's JSON output: a summary row and the full record.
 */
import type { DeadLetter, DeadLetterStatus } from '../core/dead-letter.js';

/** A row of a dead-letter list: everything but the heavy forensic fields. */
export interface DeadLetterSummary {
  id: string;
  status: DeadLetterStatus;
  generation: number;
  domain: string;
  queue: string | null;
  jobId: string | null;
  jobName: string | null;
  failureType: string;
  errorClass: string | null;
  errorCode: string | null;
  /** Truncated to {@link SUMMARY_MESSAGE_LENGTH} characters. */
  errorMessage: string;
  fingerprint: string;
  entityType: string | null;
  entityId: string | null;
  replayCount: number;
  maxReplays: number;
  attemptCount: number;
  firstFailedAt: number;
  deadLetteredAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

/** Longest error message in a summary. */
export const SUMMARY_MESSAGE_LENGTH = 500;

/** The summary of a dead letter. */
export function summarizeDeadLetter(d: DeadLetter): DeadLetterSummary {
  return {
    id: d.id,
    status: d.status,
    generation: d.generation,
    domain: d.domain,
    queue: d.queue,
    jobId: d.jobId,
    jobName: d.jobName,
    failureType: d.failureType,
    errorClass: d.errorClass,
    errorCode: d.errorCode,
    errorMessage:
      d.errorMessage.length > SUMMARY_MESSAGE_LENGTH
        ? `${d.errorMessage.slice(0, SUMMARY_MESSAGE_LENGTH - 1)}…`
        : d.errorMessage,
    fingerprint: d.fingerprint,
    entityType: d.entityType,
    entityId: d.entityId,
    replayCount: d.replayCount,
    maxReplays: d.maxReplays,
    attemptCount: d.attempts.length,
    firstFailedAt: d.firstFailedAt,
    deadLetteredAt: d.deadLetteredAt,
    updatedAt: d.updatedAt,
    expiresAt: d.expiresAt,
  };
}

/** The full record as the API returns it (summary fields first, then the forensic ones). */
export function fullDeadLetter(d: DeadLetter): DeadLetterSummary & DeadLetter {
  return { ...summarizeDeadLetter(d), ...d, attemptCount: d.attempts.length };
}
