/**
 * The admin API's shapes as the dashboard uses them (docs/admin-api.md is the contract).
 */

export type Role = 'viewer' | 'operator' | 'admin';

export type JobState = 'scheduled' | 'waiting' | 'active' | 'completed' | 'dead_lettered';

export type DeadLetterStatus =
  | 'pending'
  | 'replaying'
  | 'resolved'
  | 'requires_review'
  | 'expired'
  | 'archived';

export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = [
  'pending',
  'requires_review',
  'replaying',
  'resolved',
  'expired',
  'archived',
];

export const JOB_STATES: readonly JobState[] = [
  'waiting',
  'scheduled',
  'active',
  'completed',
  'dead_lettered',
];

export interface WhoAmI {
  actor: string;
  role: Role;
}

export interface AttemptRecord {
  attempt: number;
  outcome: 'failed' | 'rate_limited' | 'orphaned' | 'timed_out' | (string & {});
  startedAt: number;
  endedAt: number;
  workerId: string | null;
  errorClass?: string;
  errorCode?: string;
  message?: string;
  stack?: string;
}

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

export interface DeadLetter extends DeadLetterSummary {
  errorStack: string | null;
  userId: string | null;
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
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  archivedAt: number | null;
  replayOf: string | null;
  replayStartedAt: number | null;
  lastReplayAt: number | null;
  lastReplayError: string | null;
  replayJobId: string | null;
  /** Whether Retry can replay it now, and if not, why (the detail route only). */
  replay?: Replayability;
}

/** Whether a retry can replay an entry now. */
export interface Replayability {
  possible: boolean;
  handler: string | null;
  reason: string | null;
}

export interface AuditEntry {
  seq: number;
  deadLetterId: string | null;
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

/** The dead-letter filter of the list, preview, batch resolve and batch replay. */
export interface DeadLetterFilter {
  status?: DeadLetterStatus[];
  domain?: string;
  queue?: string;
  failureType?: string;
  q?: string;
  entityId?: string;
  fingerprint?: string;
  from?: number;
  to?: number;
  where?: { path: string; value: string | number | boolean | null }[];
}

export interface DeadLetterPage {
  items: DeadLetterSummary[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
  /** Pass as `cursor` for the next page in constant time at any depth. */
  nextCursor: string | null;
}

export interface Facets {
  byStatus: Partial<Record<DeadLetterStatus, number>>;
  byDomain: Record<string, number>;
  cells: { status: DeadLetterStatus; domain: string; count: number }[];
  /** Set when the counts come from a bounded scan of the newest matching entries. */
  scan?: ScanReport | null;
  /** True when some failure groups were left out of the counts. */
  partial?: boolean;
}

export interface FailureGroup {
  fingerprint: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  sampleId: string;
  errorClass: string | null;
  /** The message with its variable parts masked. */
  message: string;
  /** The first in-app stack frame, `function (file)`. */
  frame: string | null;
  /** The domain with most entries. */
  domain: string;
  /** Every domain the group spans, largest first. */
  domains: { domain: string; count: number }[];
}

/** How much of the data a bounded scan examined (null: answered from counters or indexes). */
export interface ScanReport {
  examined: number;
  budget: number;
  complete: boolean;
}

export interface ReplayResult {
  success: boolean;
  id: string;
  dryRun: boolean;
  status: DeadLetterStatus;
  replayCount: number;
  previousReplayCount: number;
  maxReplays: number;
  generation: number;
  handler: string;
  jobId: string | null;
  error: string | null;
  message: string;
}

export interface ResolveResult {
  success: true;
  id: string;
  previousStatus: string;
  status: 'resolved';
  resolvedAt: number;
  note: string | null;
}

export interface BatchPreview {
  count: number;
  sample: DeadLetterSummary[];
  /** With `ids`: how many are in each status, and the ids that do not exist. */
  byStatus?: Partial<Record<DeadLetterStatus, number>>;
  notFound?: string[];
}

export interface BatchResolveResult {
  resolved: number;
  skipped: number;
  notFound: number;
  dryRun: boolean;
  truncated: boolean;
  ids: string[];
  skippedItems: { id: string; status: string; reason: string }[];
  notFoundIds: string[];
}

export interface BatchReplayResult {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  earlyStopReason: string | null;
  dryRun: boolean;
  errors: { id: string; error: string }[];
  /** Dry runs: the first entries the run would take, in its order (oldest first). */
  sample?: DeadLetterSummary[];
}

export type BreakerState = 'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled' | (string & {});

export interface QueueOverview {
  name: string;
  paused: boolean;
  counts: Record<JobState, number>;
  /** Dead-letter entries of the queue, every status. */
  deadLetters?: number;
  throughput: { completedPerSec: number; failedPerSec: number };
}

export interface ReplayQueueState {
  depth: number;
  maxDepth: number;
  backpressure: {
    active: boolean;
    queueDepth: number;
    maxDepth: number;
    consumerLagSeconds: number;
    throttlePercent: number;
  };
  rateLimit: {
    enabled: boolean;
    currentRate: number;
    limit: number;
    rejectedCount: number;
    windowSeconds: number;
    retryAfterMs: number;
  };
}

export interface Overview {
  queues: QueueOverview[];
  deadLetters: {
    byStatus: Record<DeadLetterStatus, number>;
    oldestPendingAgeMs: number | null;
    total: number;
    open: number;
  };
  breakers: { name: string; state: BreakerState }[];
  replayQueue: ReplayQueueState | null;
  now: number;
}

export interface ThroughputPoint {
  t: number;
  completed: number;
  failed: number;
}
