/**
 * Job events as they travel between processes: plain JSON objects a worker publishes through its
 * store and a {@link QueueEvents} listener in any process receives. They mirror the worker's own
 * in-process events (events.ts), minus what does not cross a process boundary (an `Error` becomes
 * its class and a shortened message). Each one is small, so that a batch of them fits a
 * PostgreSQL NOTIFY (8000 bytes) or a Redis stream entry without touching the job's payload.
 */
import type { OrphanedWhile } from './job.js';

/** Longest error message carried by a `failed` event (the full one is on the job and its dead letter). */
export const MAX_EVENT_MESSAGE_CHARS = 500;

/** Largest progress value, serialized to JSON, that `job.updateProgress` accepts. */
export const MAX_PROGRESS_BYTES = 1024;

interface JobEventBase {
  queue: string;
  jobId: string;
  /** When the worker saw the change (ms since the epoch, the worker's clock). */
  at: number;
}

/** The job events a {@link QueueEvents} listener receives, by name. */
export interface JobEventMap {
  'job.completed': JobEventBase & { name: string; attempt: number; durationMs: number };
  /** An attempt failed (whatever happens next: see `willRetry`, then `job.retried` or `job.dead_lettered`). */
  'job.failed': JobEventBase & {
    name: string;
    attempt: number;
    errorClass: string;
    /** The error message, cut to {@link MAX_EVENT_MESSAGE_CHARS}. */
    message: string;
    willRetry: boolean;
  };
  /** Rescheduled after a retryable error, or postponed by a rate-limit response. */
  'job.retried': JobEventBase & {
    name: string;
    attempt: number;
    runAt: number;
    reason: 'error' | 'rate_limited';
  };
  'job.dead_lettered': JobEventBase & { name: string; deadLetterId: string; failureType: string };
  /** The job's lease expired: it went back to waiting, or was dead-lettered as a poison pill. */
  'job.stalled': JobEventBase & {
    action: 'recovered' | 'dead_lettered';
    deadLetterId?: string;
    orphanedWhile: OrphanedWhile;
  };
  /** The handler reported progress (`job.updateProgress`). */
  'job.progress': JobEventBase & { name: string; attempt: number; progress: unknown };
}

/** The name of a job event. */
export type JobEventName = keyof JobEventMap;

/** A job event with its name: what stores carry. */
export type JobEvent = {
  [E in JobEventName]: { event: E } & JobEventMap[E];
}[JobEventName];

/** Every job event name (for validation of what arrives from another process). */
export const JOB_EVENT_NAMES: ReadonlySet<string> = new Set<JobEventName>([
  'job.completed',
  'job.failed',
  'job.retried',
  'job.dead_lettered',
  'job.stalled',
  'job.progress',
]);

/** Whether `value` looks like a {@link JobEvent} (a foreign or newer event is skipped, not fatal). */
export function isJobEvent(value: unknown): value is JobEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.event === 'string' &&
    JOB_EVENT_NAMES.has(v.event) &&
    typeof v.queue === 'string' &&
    typeof v.jobId === 'string'
  );
}

/** Parses a JSON array of events, keeping only the well-formed ones. */
export function parseJobEvents(json: string): JobEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter(isJobEvent) : [];
}

/** Cuts an error message for an event. */
export function eventMessage(message: string): string {
  return message.length <= MAX_EVENT_MESSAGE_CHARS
    ? message
    : `${message.slice(0, MAX_EVENT_MESSAGE_CHARS - 1)}…`;
}
