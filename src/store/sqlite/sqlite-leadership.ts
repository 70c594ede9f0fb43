/**
 * Leader election on SQLite: one row (`redrive_leader`, id 1, created by migration 8) holds the lease
 * and its fencing epoch. Every change is one statement inside an IMMEDIATE transaction, so two processes on the
 * same file never both take the lease. See leader-store.ts for the contract.
 */
import type Database from 'better-sqlite3';
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
import type { SqliteTransactions } from './transactions.js';

const COLUMNS = 'holder, epoch, acquired_at, expires_at, service_runs';

/** The lease statements of one database, run through the store's transaction wrappers. */
export class SqliteLeadership {
  private readonly acquireStmt: Database.Statement;
  private readonly renewStmt: Database.Statement;
  private readonly resignStmt: Database.Statement;
  private readonly currentStmt: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly tx: Pick<SqliteTransactions, 'write' | 'read'>,
  ) {
    // The holder renews (same epoch, expiry never earlier); anyone else takes an expired lease
    // (epoch + 1). SET expressions read the row as it was before the update.
    this.acquireStmt = db.prepare(
      `INSERT INTO redrive_leader (id, holder, epoch, acquired_at, expires_at)
       VALUES (1, @candidate, 1, @now, @expires)
       ON CONFLICT (id) DO UPDATE SET
         epoch = CASE WHEN holder = excluded.holder AND expires_at > @now THEN epoch ELSE epoch + 1 END,
         acquired_at = CASE WHEN holder = excluded.holder AND expires_at > @now THEN acquired_at ELSE @now END,
         expires_at = CASE WHEN holder = excluded.holder AND expires_at > @now
                           THEN MAX(expires_at, @expires) ELSE @expires END,
         holder = excluded.holder
       WHERE holder = excluded.holder OR expires_at <= @now
       RETURNING ${COLUMNS}`,
    );
    this.renewStmt = db.prepare(
      `UPDATE redrive_leader SET expires_at = MAX(expires_at, @expires),
              service_runs = COALESCE(@runs, service_runs)
        WHERE id = 1 AND holder = @candidate AND epoch = @epoch AND expires_at > @now
       RETURNING ${COLUMNS}`,
    );
    // Expiry 0 frees the lease at once; the row (and its epoch) stays so epochs never go back.
    this.resignStmt = db.prepare(
      'UPDATE redrive_leader SET expires_at = 0 WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > 0',
    );
    this.currentStmt = db.prepare(`SELECT ${COLUMNS} FROM redrive_leader WHERE id = 1`);
  }

  private current(now: number): LeaderLease | null {
    const row = this.currentStmt.get() as LeaderRow | undefined;
    return row && row.expires_at > now ? leaseFromRow(row) : null;
  }

  acquire(params: AcquireLeadershipParams): LeadershipResult {
    const candidate = assertCandidate(params.candidate);
    const now = assertNow(params.now);
    const expires = now + assertLeaseMs(params.leaseMs);
    return this.tx.write(() => {
      const row = this.acquireStmt.get({ candidate, now, expires }) as LeaderRow | undefined;
      return row ? { leader: true, lease: leaseFromRow(row) } : { leader: false, current: this.current(now) };
    });
  }

  renew(params: RenewLeadershipParams): LeadershipResult {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    const now = assertNow(params.now);
    const expires = now + assertLeaseMs(params.leaseMs);
    const runs = serviceRunsJson(params.serviceRuns);
    return this.tx.write(() => {
      const row = this.renewStmt.get({ candidate, epoch, now, expires, runs }) as LeaderRow | undefined;
      return row ? { leader: true, lease: leaseFromRow(row) } : { leader: false, current: this.current(now) };
    });
  }

  resign(params: ResignLeadershipParams): boolean {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    return this.tx.write(() => this.resignStmt.run(candidate, epoch).changes > 0);
  }

  get(params: { now: number }): LeaderLease | null {
    const now = assertNow(params.now);
    return this.tx.read(() => this.current(now));
  }
}
