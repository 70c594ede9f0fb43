/**
 * Leader election on PostgreSQL: one row (`<schema>.leader`) holds the lease and its fencing
 * epoch; each change is one upsert or update (sql/leadership.sql), whose row lock serializes
 * candidates. See leader-store.ts for the contract.
 */

import {
  assertCandidate,
  assertEpoch,
  assertLeaseMs,
  assertNow,
  type LeaderRow,
  leaseFromRow,
  serviceRunsJson,
} from '../leader-params.js';
import type {
  AcquireLeadershipParams,
  LeaderLease,
  LeadershipResult,
  RenewLeadershipParams,
  ResignLeadershipParams,
} from '../leader-store.js';
import type { PostgresConnection } from './postgres-connection.js';

/** The lease operations of one store. */
export class PostgresLeadership {
  constructor(private readonly conn: PostgresConnection) {}

  private async answer(rows: LeaderRow[], now: number): Promise<LeadershipResult> {
    const [row] = rows;
    return row
      ? { leader: true, lease: leaseFromRow(row) }
      : { leader: false, current: await this.get({ now }) };
  }

  async acquire(params: AcquireLeadershipParams): Promise<LeadershipResult> {
    const candidate = assertCandidate(params.candidate);
    const now = assertNow(params.now);
    const expires = now + assertLeaseMs(params.leaseMs);
    const rows = await this.conn.run<LeaderRow>('leadership', 'acquire', [candidate, now, expires]);
    return this.answer(rows, now);
  }

  async renew(params: RenewLeadershipParams): Promise<LeadershipResult> {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    const now = assertNow(params.now);
    const expires = now + assertLeaseMs(params.leaseMs);
    const runs = serviceRunsJson(params.serviceRuns);
    const rows = await this.conn.run<LeaderRow>('leadership', 'renew', [
      candidate,
      epoch,
      now,
      expires,
      runs,
    ]);
    return this.answer(rows, now);
  }

  async resign(params: ResignLeadershipParams): Promise<boolean> {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    const rows = await this.conn.run('leadership', 'resign', [candidate, epoch]);
    return rows.length > 0;
  }

  async get(params: { now: number }): Promise<LeaderLease | null> {
    const now = assertNow(params.now);
    const [row] = await this.conn.run<LeaderRow>('leadership', 'current', []);
    return row && row.expires_at > now ? leaseFromRow(row) : null;
  }
}
