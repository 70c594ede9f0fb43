/**
 * The dead-letter half of the Store seam. Every method names the entity and the change, takes one
 * params object and is atomic. Policy (budgets, retention ages, what to do next) comes from the
 * caller; the store only executes state changes and answers queries — filtering, ordering and
 * pagination always happen in the store, never by loading every row.
 */
import type {
  DeadLetter,
  DeadLetterAuditEntry,
  DeadLetterStatus,
  NewDeadLetter,
  NewDeadLetterAuditEntry,
} from '../core/dead-letter.js';

/** The JSON fields a {@link JsonFieldFilter} can look into. */
export type DeadLetterJsonField = 'payload' | 'metadata' | 'snapshot' | 'requestData' | 'responseData';

/**
 * A condition on a value inside one of a dead letter's JSON fields, e.g.
 * `{ field: 'payload', path: 'customer.id', op: 'eq', value: 42 }`. `path` is a dotted path with
 * optional array indexes (`items[0].sku`). Numbers compare as numbers, strings as strings;
 * `exists` matches when the path holds any non-null value.
 */
export interface JsonFieldFilter {
  field: DeadLetterJsonField;
  path: string;
  op?: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists';
  value?: string | number | boolean | null;
}

/** Filters shared by listing, counting and grouping. All given conditions must hold. */
export interface DeadLetterFilter {
  /** Only these statuses; every status when absent or empty. */
  statuses?: readonly DeadLetterStatus[];
  domain?: string;
  /** Any of these domains. */
  domains?: readonly string[];
  /** None of these domains. */
  excludeDomains?: readonly string[];
  queue?: string;
  failureType?: string;
  entityType?: string;
  entityId?: string;
  userId?: string;
  jobId?: string;
  fingerprint?: string;
  /** A substring of the error message (case-insensitive for ASCII letters). */
  errorText?: string;
  /** Dead-lettered at or after this time. */
  from?: number;
  /** Dead-lettered before this time. */
  to?: number;
  /** `expiresAt` at or before this time (past its TTL). */
  expiresBefore?: number;
  /** Last state change before this time. */
  updatedBefore?: number;
  /** Replays spent are below the entry's budget (`replayCount < maxReplays`). */
  belowReplayCap?: boolean;
  /** Never replayed, or the last replay finished before this time. */
  lastReplayBefore?: number;
  /** Conditions on JSON fields (payload, metadata, ...). */
  json?: readonly JsonFieldFilter[];
}

/** Params of {@link DeadLetterStore.listDeadLetters}. */
export interface ListDeadLettersParams extends DeadLetterFilter {
  /** Rows to return; 0 returns only the total. */
  limit: number;
  /** Rows to skip (page navigation). Ignored when `cursor` is given. */
  offset?: number;
  /** An opaque `nextCursor` from a previous page of the same query (keyset pagination). */
  cursor?: string;
  /** `newest` first (default) or `oldest` first, by dead-letter time. */
  order?: 'newest' | 'oldest';
  /** Count the matching rows. Default true. */
  withTotal?: boolean;
}

/**
 * How much of the data a bounded scan examined. A condition no index serves (a JSON path that is
 * not declared in `indexedPaths`, a search text too short for the text index) is checked on at
 * most `budget` candidates — the first ones in the requested order that the indexed conditions
 * select — so that no query reads a million rows. `complete` is true when every candidate was
 * examined (the total is then exact); otherwise the total counts matches among those examined and
 * `nextCursor` continues the scan after the last one examined.
 */
export interface ScanReport {
  examined: number;
  budget: number;
  complete: boolean;
}

/** A page of dead letters. */
export interface DeadLetterPage {
  items: DeadLetter[];
  /** Matching rows in total; null when `withTotal` was false. */
  total: number | null;
  /** Continues after the last item (or the last row a bounded scan examined); null at the end. */
  nextCursor: string | null;
  /** Present when a condition was checked by a bounded scan instead of an index. */
  scan?: ScanReport;
}

/** Why a state change was refused. */
export type DeadLetterConflictReason =
  | 'not_found'
  /** The entry's generation differs from the one the caller saw. */
  | 'stale_generation'
  /** Its replay budget is spent. */
  | 'at_cap'
  /** Its status does not allow the change (see `deadLetter.status`). */
  | 'invalid_status';

/** The outcome of a guarded single-entry change. */
export type DeadLetterChangeResult =
  | { ok: true; deadLetter: DeadLetter }
  | { ok: false; reason: DeadLetterConflictReason; deadLetter: DeadLetter | null };

/** Who did something and why, written to the audit trail with the change, in its transaction. */
export interface AuditInput {
  action: string;
  actor: string;
  reason?: string | null;
  ticket?: string | null;
  details?: Record<string, unknown>;
}

/** Params of {@link DeadLetterStore.acquireDeadLetterForReplay}. */
export interface AcquireDeadLetterParams {
  id: string;
  now: number;
  /** Refuse (`stale_generation`) unless the entry is still at this generation. */
  expectedGeneration?: number;
  /**
   * Force-redrive: also take `requires_review` entries, skip the budget check and grant a fresh
   * budget of `freshBudget` replays (counting this one).
   */
  force?: { freshBudget: number };
  /** Written to the audit trail in the same transaction, with before/after status and generation. */
  audit?: AuditInput;
}

/** Params of {@link DeadLetterStore.finishDeadLetterReplay}. */
export interface FinishDeadLetterReplayParams {
  id: string;
  /** The generation the acquire returned; a finish for an older acquisition is refused. */
  generation: number;
  now: number;
  /** Where the entry goes; decided by the caller (cap-aware). */
  status: 'resolved' | 'pending' | 'requires_review';
  /** Why the replay failed (recorded as `lastReplayError`). */
  error?: string | null;
  /** The job a queue replay enqueued. */
  replayJobId?: string | null;
  /** Recorded as `resolvedBy` / `resolutionNote` when resolved. */
  resolvedBy?: string | null;
  note?: string | null;
  audit?: AuditInput;
}

/** Params of {@link DeadLetterStore.resolveDeadLetters}. */
export interface ResolveDeadLettersParams {
  ids: readonly string[];
  now: number;
  actor: string;
  note?: string | null;
  /**
   * Per id, the generation the operator saw; entries that moved on are skipped. Read by own key
   * only ({@link expectedGenerationOf}): an id such as `toString` is not guarded by `{}`.
   */
  expectedGenerations?: Readonly<Record<string, number>>;
  /** Audit action name; default `resolve`. An audit row is written per resolved entry. */
  auditAction?: string;
}

/**
 * The generation expected for `id`, or undefined when the map does not name it. An own-property
 * lookup: `map[id]` would find `Object.prototype.toString` for the id `toString`.
 */
export function expectedGenerationOf(
  map: Readonly<Record<string, number>> | undefined,
  id: string,
): number | undefined {
  return map !== undefined && Object.hasOwn(map, id) ? map[id] : undefined;
}

/** What {@link DeadLetterStore.resolveDeadLetters} did, per id. */
export interface ResolveDeadLettersResult {
  resolved: string[];
  skipped: { id: string; status: DeadLetterStatus; reason: 'stale_generation' | 'invalid_status' }[];
  notFound: string[];
}

/** Params of {@link DeadLetterStore.transitionDeadLetters}: bounded bulk lifecycle moves. */
export type TransitionDeadLettersParams =
  /** `pending`/`requires_review` entries whose `expiresAt <= now` become `expired`. */
  | { action: 'expire'; now: number; limit: number; ids?: readonly string[] }
  /** `resolved`/`expired` entries last changed before `before` become `archived`. */
  | { action: 'archive'; now: number; before: number; limit: number; ids?: readonly string[] }
  /**
   * `replaying` entries whose replay started before `before` (the replayer died) go back to
   * `pending`, or to `requires_review` when their budget is spent.
   */
  | { action: 'release_stuck'; now: number; before: number; limit: number };

/** Params of {@link DeadLetterStore.purgeDeadLetters}. Only `archived` entries are ever deleted. */
export interface PurgeDeadLettersParams {
  /** Only these ids (still only archived ones). */
  ids?: readonly string[];
  /** Only entries archived before this time. */
  before?: number;
  limit: number;
  now: number;
}

/** One recomputed fingerprint of {@link DeadLetterStore.regroupDeadLetters}. */
export interface DeadLetterRegrouping {
  id: string;
  fingerprint: string;
  /** The grouping algorithm version that computed `fingerprint` (a positive integer). */
  fingerprintVersion: number;
}

/** Params of {@link DeadLetterStore.regroupDeadLetters}. */
export interface RegroupDeadLettersParams {
  changes: readonly DeadLetterRegrouping[];
}

/** Status x domain counts. `byStatus` honours the `domain` scope, `byDomain` the `status` scope. */
export interface DeadLetterFacets {
  byStatus: Partial<Record<DeadLetterStatus, number>>;
  byDomain: Record<string, number>;
  /** Every non-empty (status, domain) cell. */
  cells: { status: DeadLetterStatus; domain: string; count: number }[];
}

/** One group of {@link DeadLetterStore.topDeadLetterFailures}. */
export interface FailureGroup {
  fingerprint: string;
  /** Matching entries of the group. */
  count: number;
  /** Dead-letter time of the group's first and latest entry ever (not only the matching ones). */
  firstSeenAt: number;
  lastSeenAt: number;
  /** The group's latest entry, to open (it may have been purged since). */
  sampleId: string;
  errorClass: string | null;
  /** The message with its variable parts masked (the same as `normalizedMessage`). */
  errorMessage: string;
  normalizedMessage: string;
  /** The first in-app stack frame (`function (file)`), or null when the stack has none. */
  frame: string | null;
  /** The domain with the most matching entries (ties: by name). */
  domain: string;
  /** Every domain the matching entries span, largest first. */
  domains: { domain: string; count: number }[];
  /**
   * The error fields of the entry `sampleId` names, when the store read them with the group (null:
   * that entry is gone); absent when it did not, and they are read by id.
   */
  sample?: FailureSample | null;
}

/** What describes a failure group, from its latest entry. */
export interface FailureSample {
  errorClass: string | null;
  errorMessage: string;
  errorStack: string | null;
  fingerprintVersion: number;
}

/**
 * The result of {@link DeadLetterStore.topDeadLetterFailures}. Filters on statuses, domains, queue,
 * failure type and fingerprint are answered exactly from per-fingerprint counters (`scan` null);
 * any other condition groups a bounded scan of the newest matching entries (`scan` says how many).
 */
export interface TopFailures {
  groups: FailureGroup[];
  scan: ScanReport | null;
}

/**
 * Most open entries past their TTL that a stats call counts one by one (an index range): the number
 * is time-dependent, so no counter can keep it, and counting a million due entries would cost tens
 * of milliseconds on every stats call. Past it, stores report the cap with `dueForExpiryAtLeast`.
 */
export const DUE_FOR_EXPIRY_COUNT_CAP = 1000;

/** Counts and ages for dashboards. */
export interface DeadLetterStoreStats {
  total: number;
  byStatus: Record<DeadLetterStatus, number>;
  byDomain: Record<string, number>;
  /** Dead-letter time of the oldest `pending` entry. */
  oldestPendingAt: number | null;
  /** `pending` entries with budget left. */
  replayable: number;
  /**
   * Open entries past their TTL, not yet expired by a sweep; exact up to
   * {@link DUE_FOR_EXPIRY_COUNT_CAP}, which a store may stop at (see `dueForExpiryAtLeast`).
   */
  dueForExpiry: number;
  /** True when `dueForExpiry` is the cap and more entries are due (a store that stopped counting). */
  dueForExpiryAtLeast?: boolean;
  /** Entries deleted by purges, ever (the store keeps the tally). */
  purgedTotal: number;
  /** Entries per queue (every status; entries without a queue are not counted here). */
  byQueue: Record<string, number>;
}

/** Params of {@link DeadLetterStore.listAudit}. */
export interface ListAuditParams {
  deadLetterId?: string;
  action?: string;
  actor?: string;
  /** Entries with a sequence number below this (the previous page's `nextBefore`). */
  before?: number;
  limit: number;
}

/** The dead-letter operations every store implements. */
export interface DeadLetterStore {
  /**
   * Inserts records; a record whose id (or job) already exists is left as it is (idempotent
   * import). Returns the ids that were new.
   */
  insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }>;
  getDeadLetter(params: { id: string }): Promise<DeadLetter | null>;
  /** The dead letter of a job, if it has one. */
  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null>;
  /** A filtered, ordered page (offset or keyset), with the total. */
  listDeadLetters(params: ListDeadLettersParams): Promise<DeadLetterPage>;
  facetDeadLetters(params: { status?: DeadLetterStatus; domain?: string }): Promise<DeadLetterFacets>;
  /**
   * Groups matching entries by error fingerprint, largest first. Must not scan the entries for
   * filters on statuses, domains, queue, failure type and fingerprint: keep per-fingerprint
   * counters in the same transaction (or script) as every insert, status change, regroup and
   * delete.
   */
  topDeadLetterFailures(params: DeadLetterFilter & { limit: number }): Promise<TopFailures>;
  /** Counts and ages, from maintained counters (no scan of the entries). */
  getDeadLetterStats(params: { now: number }): Promise<DeadLetterStoreStats>;

  /**
   * Atomically moves a `pending` entry with budget left (or, with `force`, a `pending` or
   * `requires_review` entry) to `replaying`, spending one replay and bumping the generation. Of two
   * concurrent callers exactly one gets `ok: true`.
   */
  acquireDeadLetterForReplay(params: AcquireDeadLetterParams): Promise<DeadLetterChangeResult>;
  /** Ends a replay the caller acquired: `replaying` -> the given status. */
  finishDeadLetterReplay(params: FinishDeadLetterReplayParams): Promise<DeadLetterChangeResult>;
  /** Resolves `pending`/`requires_review` entries in one transaction; reports each id. */
  resolveDeadLetters(params: ResolveDeadLettersParams): Promise<ResolveDeadLettersResult>;
  /** A bounded bulk lifecycle move (expire, archive, release stuck replays). Returns the ids moved. */
  transitionDeadLetters(params: TransitionDeadLettersParams): Promise<{ ids: string[] }>;
  /** Deletes up to `limit` archived entries; returns the ids deleted and adds them to the tally. */
  purgeDeadLetters(params: PurgeDeadLettersParams): Promise<{ ids: string[] }>;

  /**
   * Replaces the fingerprints of existing entries (computed again by a newer grouping algorithm),
   * in one transaction. Ids that no longer exist are skipped; returns how many entries changed.
   * Not a state change: status, generation and `updatedAt` stay as they are. A store that keeps
   * anything per fingerprint (indexes, counters, group summaries) moves the entry from its old
   * group to its new one in the same transaction or script, so group counts stay exact.
   */
  regroupDeadLetters(params: RegroupDeadLettersParams): Promise<{ updated: number }>;

  /**
   * Optional. From now on, answer dead-letter reads without holding the caller's event loop (a
   * store whose reads are synchronous, like SQLite, moves them to a reader thread). The admin
   * server calls it so that `/healthz` answers while any dashboard query runs. Returns whether
   * reads are off the event loop (stores whose reads are asynchronous need not implement it).
   */
  readDeadLettersOffThread?(): boolean;

  /** Appends audit entries (bulk actions, or actions with no state change). */
  appendAudit(params: { entries: readonly NewDeadLetterAuditEntry[] }): Promise<{ seqs: number[] }>;
  /** Audit entries, newest first. */
  listAudit(params: ListAuditParams): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }>;
  /**
   * Deletes audit entries recorded (`at`) before `before`, oldest first (by sequence): of the
   * `limit` oldest entries, those before `before`, in one atomic step. Returns how many went; fewer
   * than `limit` means the old end of the trail is clear.
   */
  purgeAudit(params: PurgeAuditParams): Promise<{ deleted: number }>;
}

/**
 * A store whose per-fingerprint counters were added to existing data in place (Redis), and which
 * therefore counts the entries stored before them in the background.
 */
export interface DeadLetterCounterBackfill {
  /**
   * Counts entries stored before the per-fingerprint counters existed, at most `maxSteps` bounded
   * steps per call, resuming where the last call (in any process) stopped. Idempotent: each entry
   * is counted once, whichever of a change or the backfill reaches it first. The elected
   * maintainer calls it until it reports `done`.
   */
  backfillDeadLetterCounters(params: { maxSteps: number }): Promise<CounterBackfillProgress>;
}

/** Whether a store counts old entries into its counters in the background. */
export function hasCounterBackfill(store: object): store is DeadLetterCounterBackfill {
  return typeof (store as Partial<DeadLetterCounterBackfill>).backfillDeadLetterCounters === 'function';
}

/** What one call of {@link DeadLetterCounterBackfill.backfillDeadLetterCounters} did. */
export interface CounterBackfillProgress {
  /** Entries counted by this call. */
  counted: number;
  /** Entries examined by this call. */
  examined: number;
  /** Every entry is counted (later calls do nothing). */
  done: boolean;
  /**
   * When done: entries the counters still miss (0 unless writers of a version without counters
   * changed entries during the backfill; their groups' counts are then off by that much).
   */
  uncounted: number;
}

/** Params of {@link DeadLetterStore.purgeAudit}. */
export interface PurgeAuditParams {
  before: number;
  limit: number;
}
