/**
 * The job entity and its lifecycle, written down once. Stores execute these transitions
 * atomically; nothing else moves a job between states.
 */
import type { BackoffOptions } from './retry.js';

/**
 * - `scheduled`: accepted, not yet due (a delay, a retry backoff or a rate-limit pause).
 * - `waiting`: due, ready to be claimed.
 * - `active`: claimed by a worker that holds its lease and fencing token.
 * - `completed`: the handler succeeded. Terminal.
 * - `dead_lettered`: failed for good; a dead-letter record holds its history. Terminal.
 */
export type JobState = 'scheduled' | 'waiting' | 'active' | 'completed' | 'dead_lettered';

/** Every job state, in lifecycle order. */
export const JOB_STATES: readonly JobState[] = [
  'scheduled',
  'waiting',
  'active',
  'completed',
  'dead_lettered',
];

/** A state whose jobs may be removed: every state but `active` (a running job is never removed). */
export type RemovableJobState = Exclude<JobState, 'active'>;

/** The states {@link RemovableJobState} names, for checking input at run time. */
export const REMOVABLE_JOB_STATES: ReadonlySet<string> = new Set<RemovableJobState>([
  'scheduled',
  'waiting',
  'completed',
  'dead_lettered',
]);

/** Whether `state` is a {@link RemovableJobState}. */
export function isRemovableJobState(state: string): state is RemovableJobState {
  return REMOVABLE_JOB_STATES.has(state);
}

/**
 * The allowed transitions. `active -> waiting` is orphan recovery or a graceful release (no attempt
 * spent); `active -> scheduled` is a retry or a rate-limit pause.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  scheduled: ['waiting'],
  waiting: ['active'],
  active: ['completed', 'scheduled', 'waiting', 'dead_lettered'],
  completed: [],
  dead_lettered: [],
};

/** Whether `from -> to` is a legal job transition. */
export function canTransition(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Whether a job in this state will never run again. */
export function isTerminal(state: JobState): boolean {
  return state === 'completed' || state === 'dead_lettered';
}

/** Named priorities; numerically high = 2, normal = 1, low = 0. Higher runs first. */
export type PriorityName = 'high' | 'normal' | 'low';

/** A priority: a name or its number (0 low .. 2 high). */
export type Priority = PriorityName | 0 | 1 | 2;

/** Converts a priority to its stored number (higher runs first). */
export function priorityNumber(priority: Priority | undefined): 0 | 1 | 2 {
  switch (priority) {
    case 'high':
      return 2;
    case 'low':
      return 0;
    case undefined:
    case 'normal':
      return 1;
    default:
      return priority;
  }
}

/**
 * How a worker held a job when its lease expired (see the delivery contract):
 * - `prefetched`: claimed but not yet allowed to start (beyond the worker's start horizon); the
 *   job goes back to `waiting` as if never claimed.
 * - `running`: its handler had started, or may have (within the start horizon); the job becomes a
 *   suspect, without counting towards `maxOrphans`.
 * - `quarantine`: a suspect running alone on its worker; only this counts towards `maxOrphans`.
 */
export type OrphanedWhile = 'prefetched' | 'running' | 'quarantine';

/** The outcome of one attempt, kept on the job and copied into its dead letter. */
export interface AttemptRecord {
  /** 1-based attempt number (orphaned and rate-limited attempts repeat the number they interrupted). */
  attempt: number;
  outcome: 'failed' | 'rate_limited' | 'orphaned' | 'timed_out';
  startedAt: number;
  endedAt: number;
  workerId: string | null;
  /** For an `orphaned` attempt: how the worker held the job when its lease expired. */
  orphanedWhile?: OrphanedWhile;
  errorClass?: string;
  errorCode?: string;
  message?: string;
  /**
   * The error's stack. The attempt that dead-lettered the job has none on the job: its dead letter
   * keeps it once, as `errorStack`, and shows it on that attempt when read.
   */
  stack?: string;
}

/** A job as stored. Times are ms since the epoch. */
export interface Job<Payload = unknown, Result = unknown> {
  id: string;
  queue: string;
  name: string;
  payload: Payload;
  state: JobState;
  priority: 0 | 1 | 2;
  /** Attempts that ran to an outcome (success or counted failure). */
  attemptsMade: number;
  maxAttempts: number;
  /**
   * Times the job's lease expired while it ran alone in quarantine (the orphanings that count
   * towards `maxOrphans`).
   */
  orphanCount: number;
  /**
   * The job was running when its worker lost the lease: until it finishes, it runs only in
   * quarantine, alone on its worker.
   */
  suspect: boolean;
  /** Times a rate-limit response postponed it without spending an attempt. */
  rateLimitDelays: number;
  runAt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  leaseExpiresAt: number | null;
  workerId: string | null;
  timeoutMs: number | null;
  backoff: BackoffOptions | null;
  idempotencyKey: string | null;
  result: Result | null;
  /** The last progress its handler reported (`job.updateProgress`), or null. */
  progress: unknown;
  attempts: AttemptRecord[];
  deadLetterId: string | null;
  /** The dead letter this job replays, when it was created by a replay. */
  replayOf: string | null;
  /**
   * String headers carried with the job from enqueue to every attempt, its dead letter and its
   * replays (trace context: `traceparent`, `tracestate`), or null when it has none.
   */
  headers: Record<string, string> | null;
}

/**
 * A job claimed by a worker: the job plus its fencing token. Its `attempts` may leave out the
 * earlier attempts' stacks (the SQLite store's claim does not read them); `getJob` and the job's
 * dead letter return them.
 */
export interface ClaimedJob<Payload = unknown> extends Job<Payload> {
  /** Fencing token; completion and failure succeed only with the current one. */
  token: string;
}

/** Counts of jobs per state. */
export type JobCounts = Record<JobState, number>;

/** A zeroed {@link JobCounts}. */
export function emptyJobCounts(): JobCounts {
  return { scheduled: 0, waiting: 0, active: 0, completed: 0, dead_lettered: 0 };
}
