/**
 * The leadership half of the Store seam: one process per store holds a lease with a fencing epoch
 * and runs the store's housekeeping (the maintenance services). Each store builds it on its own
 * primitives (a lease row on SQLite and PostgreSQL, `SET NX PX` and scripts on Redis); the
 * contract is the same everywhere:
 *
 * - At most one candidate holds an unexpired lease at a time, judged by the time the store goes
 *   by (the caller's `now` on SQLite and PostgreSQL and on Redis with `clock: 'caller'`; the
 *   server's time on Redis by default).
 * - Every change of holder raises the epoch (a lease taken after it expired, even by the same
 *   candidate, gets a new epoch), and the epoch never goes back, resignations included. A leader
 *   checks its epoch ({@link LeaderStore.renewLeadership}) before each round of writes and stops
 *   when it is refused: a deposed leader notices before its next write.
 * - Renewing never moves the expiry earlier, so a holder whose clock jumps back does not hand the
 *   lease over early; a candidate whose clock runs ahead may take over early, and the epoch check
 *   then deposes the old holder at once.
 *
 * Each method is one atomic step (one statement, transaction or script).
 */

/** Who leads a store, as recorded in its lease. */
export interface LeaderLease {
  /** The candidate holding the lease (a process-unique id). */
  holder: string;
  /** The fencing epoch: raised at every change of holder, never lowered. */
  epoch: number;
  /** When the holder took the lease (this epoch). */
  acquiredAt: number;
  /** When the lease ends unless renewed. */
  expiresAt: number;
  /** When each maintenance service last ran, by service name, as the holder last reported. */
  serviceRuns: Record<string, number>;
}

/** Params of {@link LeaderStore.acquireLeadership}. */
export interface AcquireLeadershipParams {
  /** The candidate's id (unique per process). */
  candidate: string;
  /** How long the lease lasts unless renewed. */
  leaseMs: number;
  now: number;
}

/** Params of {@link LeaderStore.renewLeadership}. */
export interface RenewLeadershipParams {
  candidate: string;
  /** The epoch the candidate was granted; a renewal under any other epoch is refused. */
  epoch: number;
  leaseMs: number;
  now: number;
  /** When each maintenance service last ran (replaces what the lease recorded), for `stats()`. */
  serviceRuns?: Record<string, number>;
}

/** Params of {@link LeaderStore.resignLeadership}. */
export interface ResignLeadershipParams {
  candidate: string;
  epoch: number;
}

/**
 * The answer to an acquisition or renewal: `leader: true` with the lease now held, or
 * `leader: false` with whoever holds an unexpired lease (null when nobody does, e.g. a renewal of
 * a lease that expired).
 */
export type LeadershipResult =
  | { leader: true; lease: LeaderLease }
  | { leader: false; current: LeaderLease | null };

/** Leader election: every store implements it. */
export interface LeaderStore {
  /**
   * Takes the lease when nobody holds an unexpired one (raising the epoch), or renews it when
   * `candidate` already holds it unexpired (same epoch). Otherwise refused, naming the holder.
   */
  acquireLeadership(params: AcquireLeadershipParams): Promise<LeadershipResult>;
  /**
   * Extends the lease by `leaseMs` from `now` (never earlier than it was) if `candidate` still
   * holds it under `epoch` and it has not expired; refused otherwise (the caller is deposed and
   * must stop its maintenance before writing again).
   */
  renewLeadership(params: RenewLeadershipParams): Promise<LeadershipResult>;
  /**
   * Gives the lease up at once if `candidate` holds it under `epoch` (graceful shutdown), so a
   * standby takes over without waiting for it to expire. The epoch stays (the next holder raises
   * it). Returns whether the lease was given up.
   */
  resignLeadership(params: ResignLeadershipParams): Promise<boolean>;
  /** The current lease if unexpired at `now`, else null. */
  getLeader(params: { now: number }): Promise<LeaderLease | null>;
}
