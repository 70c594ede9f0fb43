/**
 * Query plans of every statement the SQLite store runs on the success path and in its
 * housekeeping: claims (due jobs promoted, suspects looked for), start horizons, heartbeats,
 * completions, releases, recovery sweeps and the removal of old completed jobs. Each reaches its
 * rows through a key or an index: none scans the jobs table (or a whole index of it) or sorts
 * its rows, so none slows down, or holds the write lock longer, as completed jobs pile up.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { planOf, recordStatements } from '../support/sqlite-plans.js';

/** A step of a plan that visits every row of the jobs table or of one of its indexes, or sorts. */
const UNBOUNDED = /^SCAN redrive_jobs\b|USE TEMP B-TREE/;

it('claims, heartbeats, completes, recovers and cleans up without scanning or sorting the jobs table', async () => {
  const db = new Database(':memory:');
  const ran = recordStatements(db);
  const store = new SqliteStore({ database: db });
  await store.insertJobs({
    jobs: ['a', 'b', 'c'].flatMap((queue) =>
      Array.from({ length: 20 }, (_, i) => newJob({ queue, payload: i, runAt: T0 + (i % 4) * 10 })),
    ),
    now: T0,
  });
  ran.clear();
  const lease = (jobs: { id: string; token: string }[]) => jobs.map(({ id, token }) => ({ id, token }));
  const claimed = await store.claimJobs({
    queue: 'b',
    workerId: 'w',
    limit: 10,
    leaseMs: 1000,
    now: T0 + 100,
    claimId: 'c1',
    starts: { firstSeq: 1, horizon: 5 },
  });
  expect(claimed).toHaveLength(10);
  await store.advanceStartHorizon({ workerId: 'w', horizon: 8, now: T0 + 100 });
  await store.extendLeases({ leases: lease(claimed), leaseMs: 1000, now: T0 + 150 });
  await store.completeJobs({
    completions: claimed.slice(0, 5).map(({ id, token }) => ({ id, token, resultJson: null })),
    now: T0 + 200,
  });
  await store.releaseJobs({ leases: lease(claimed.slice(5, 7)), now: T0 + 200 });
  const recovery = await store.recoverExpiredLeases({
    now: T0 + 5000,
    maxOrphans: 3,
    limit: 100,
    deadLetterFor: () => {
      throw new Error('no poison pill expected');
    },
  });
  expect(recovery.recovered).toHaveLength(3);
  // The completed-job cleaner across queues, and once per queue.
  expect(await store.removeJobs({ states: ['completed'], before: T0 + 10_000, limit: 100 })).toBe(5);
  await store.removeJobs({ states: ['completed', 'dead_lettered'], queue: 'a', before: T0, limit: 100 });

  const statements = [...ran].filter((sql) => /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(sql));
  expect(statements.some((sql) => /DELETE FROM redrive_jobs\b/.test(sql))).toBe(true);
  const unbounded = statements.flatMap((sql) =>
    planOf(db, sql)
      .filter((detail) => UNBOUNDED.test(detail))
      .map((detail) => `${detail} in: ${sql.replace(/\s+/g, ' ')}`),
  );
  expect(unbounded).toEqual([]);
  await store.close();
});
