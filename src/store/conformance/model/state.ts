/**
 * The state of the reference model: what the model believes about each job and lease, and how
 * often the interesting cases came up.
 */
import type { AttemptRecord } from '../../../core/job.js';
import type { ModelQueue } from './ops.js';

export interface ModelJob {
  id: string;
  queue: ModelQueue;
  priority: 0 | 1 | 2;
  runAt: number;
  /** Insertion order: the last claim-order tie-break. */
  seq: number;
  /** `queued` is `scheduled` or `waiting`: a store may promote due jobs lazily. */
  state: 'queued' | 'active' | 'completed' | 'dead_lettered';
  attemptsMade: number;
  orphanCount: number;
  /** Orphaned while running: only a quarantine claim takes it. */
  suspect: boolean;
  /** While active: claimed alone as a suspect, or its start sequence number (null: no marks). */
  quarantined: boolean;
  startSeq: number | null;
  rateLimitDelays: number;
  attemptRecords: number;
  leaseExpiresAt: number | null;
  /** The token that currently holds the lease, if any. */
  liveToken: string | null;
  /**
   * The token the store still knows the job by: set by a claim, kept when the attempt ends by
   * completion or failure (so resends are recognised), cleared by a release or an orphan recovery.
   */
  lastToken: string | null;
  /** Dead-lettered by recovery: whether the lost token is still known is the store's choice. */
  poisoned: boolean;
  completedBy: string | null;
  /** The job's last attempt record (a failure, or an orphaned attempt found by recovery). */
  lastRecord: AttemptRecord | null;
  deadLetterId: string | null;
}

export interface Lease {
  id: string;
  token: string;
}

export interface TokenInfo {
  attempt: number;
  startedAt: number;
  workerId: string;
}

/** How often the interesting cases occurred, summed over runs (to prove the generator reaches them). */
export interface ModelCoverage {
  claimed: number;
  completed: number;
  refused: number;
  duplicateCompletions: number;
  duplicateFailures: number;
  rateLimited: number;
  deadLettered: number;
  recovered: number;
  poisonPills: number;
  staleProbes: number;
  prefetchedOrphans: number;
  suspects: number;
  quarantineClaims: number;
}

export function emptyCoverage(): ModelCoverage {
  return {
    claimed: 0,
    completed: 0,
    refused: 0,
    duplicateCompletions: 0,
    duplicateFailures: 0,
    rateLimited: 0,
    deadLettered: 0,
    recovered: 0,
    poisonPills: 0,
    staleProbes: 0,
    prefetchedOrphans: 0,
    suspects: 0,
    quarantineClaims: 0,
  };
}

export function leaseKey(lease: Lease): string {
  return `${lease.id}\u0000${lease.token}`;
}
