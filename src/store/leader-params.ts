/**
 * What every store's leader election shares: validation (the same bad input is refused with the
 * same message whichever store runs it) and the lease row of the SQL stores.
 */
import { ValidationError } from '../core/errors.js';
import type { LeaderLease } from './leader-store.js';

/** Checks a candidate id: a non-empty string of at most 200 characters. */
export function assertCandidate(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate === '' || candidate.length > 200) {
    throw new ValidationError('candidate', 'must be a non-empty string of at most 200 characters');
  }
  return candidate;
}

/** Checks a lease length: a positive integer number of milliseconds. */
export function assertLeaseMs(leaseMs: unknown): number {
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < 1) {
    throw new ValidationError('leaseMs', 'must be a positive integer (milliseconds)');
  }
  return leaseMs;
}

/** Checks a time: a finite number of milliseconds since the epoch. */
export function assertNow(now: unknown): number {
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new ValidationError('now', 'must be a finite number');
  return Math.round(now);
}

/** Checks an epoch: a positive integer. */
export function assertEpoch(epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 1) {
    throw new ValidationError('epoch', 'must be a positive integer');
  }
  return epoch;
}

/** The service-run times as JSON (finite numbers only), for storing beside the lease. */
export function serviceRunsJson(runs: Record<string, number> | undefined): string | null {
  if (runs === undefined) return null;
  const clean: Record<string, number> = {};
  for (const [name, at] of Object.entries(runs)) if (Number.isFinite(at)) clean[name] = at;
  return JSON.stringify(clean);
}

/** Parses stored service-run times; a damaged value reads as none. */
export function parseServiceRuns(json: string | null | undefined): Record<string, number> {
  if (!json) return {};
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** The lease as SQL stores keep it (one row, snake_case columns). */
export interface LeaderRow {
  holder: string;
  epoch: number;
  acquired_at: number;
  expires_at: number;
  service_runs: string;
}

/** A lease row as a {@link LeaderLease}. */
export function leaseFromRow(row: LeaderRow): LeaderLease {
  return {
    holder: row.holder,
    epoch: row.epoch,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
    serviceRuns: parseServiceRuns(row.service_runs),
  };
}
