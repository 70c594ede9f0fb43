/**
 * `queryTimeoutMs` bounds the store's transactions on the server as well as the client's wait for
 * them: a call stuck behind another session's lock fails, and its backend stops waiting at the same
 * time instead of queueing for the lock after the client has gone (the bound is a SET LOCAL, so a
 * connection PgBouncer shares keeps nothing). Migrations stay unbounded, even on a pool whose
 * connections set a statement_timeout of their own.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { failedAttempt, newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService, uniqueSchemaName } from '../support/services.js';

const postgres = await postgresService();

/** Polls `read` every 20 ms until it answers `want`, for at most `ms`; returns the last answer. */
async function until<T>(read: () => Promise<T>, want: T, ms: number): Promise<T> {
  const deadline = performance.now() + ms;
  let last = await read();
  while (last !== want && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = await read();
  }
  return last;
}

/** `promise`, or a rejection after `ms` (a call the server did not cancel would wait 30 s). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Claims the one job of queue `q` and builds the retry of its attempt at T0 + 10. */
async function claimOne(store: PostgresStore) {
  const [claimed] = await store.claimJobs({
    queue: 'q',
    workerId: 'w1',
    limit: 1,
    leaseMs: 30_000,
    now: T0,
    claimId: 'c1',
  });
  if (!claimed) throw new Error('no job to claim');
  const now = T0 + 10;
  const attempt = failedAttempt(claimed, now);
  const failures = [
    { id: claimed.id, token: claimed.token, attempt, outcome: { kind: 'retry' as const, runAt: now } },
  ];
  return { job: claimed, failures, now };
}

/** Another session's transaction holding the jobs table, so that the store's writes wait for it. */
async function lockJobs(blocker: pg.Client, schemaName: string): Promise<void> {
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE "${schemaName}".jobs IN ACCESS EXCLUSIVE MODE`);
}

describe.skipIf(!postgres.available)('PostgreSQL queryTimeoutMs on the server', () => {
  const schema = new PostgresTestSchema(postgres.url, 'stmt_timeout');
  afterAll(() => schema.drop());

  it('cancels a transaction stuck behind a lock when the call times out, leaving no backend waiting', async () => {
    const producer = await schema.freshStore();
    await producer.insertJobs({ jobs: [newJob()], now: T0 });
    const store = new PostgresStore({
      url: postgres.url,
      schema: schema.schema,
      poolSize: 1,
      listen: false,
      queryTimeoutMs: 200,
    });
    const blocker = new pg.Client({ connectionString: postgres.url });
    await blocker.connect();
    const waitingForJobs = async () => {
      const { rows } = await schema.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = $1::regclass',
        [`"${schema.schema}".jobs`],
      );
      return rows[0]?.n ?? -1;
    };
    try {
      const { job, failures, now } = await claimOne(store);
      await lockJobs(blocker, schema.schema);
      const error = await store.failJobs({ failures, now }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      // The lock is still held: only a statement the server cancelled has stopped waiting.
      expect(await until(waitingForJobs, 0, 2000)).toBe(0);
      await blocker.query('COMMIT');
      expect(await store.failJobs({ failures, now })).toEqual([{ id: job.id, ok: true }]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await store.close();
      await producer.close();
    }
  });

  it('keeps the statement_timeout of a pool of the application’s when queryTimeoutMs is not given', async () => {
    const producer = await schema.freshStore();
    await producer.insertJobs({ jobs: [newJob()], now: T0 });
    const pool = new pg.Pool({ connectionString: postgres.url, max: 1, statement_timeout: 50 });
    const store = new PostgresStore({ pool, schema: schema.schema, listen: false });
    const blocker = new pg.Client({ connectionString: postgres.url });
    await blocker.connect();
    try {
      const { failures, now } = await claimOne(store);
      await lockJobs(blocker, schema.schema);
      // The pool's 50 ms, not the store's default 30 s: the server cancels the wait (57014).
      const error = await within(
        5000,
        store.failJobs({ failures, now }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).details).toMatchObject({ code: '57014' });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await store.close();
      await pool.end();
      await producer.close();
    }
  });

  it('lets a migration wait for another process longer than the pool’s own statement_timeout', async () => {
    const fresh = uniqueSchemaName('stmt_timeout_migrate');
    const blocker = new pg.Client({ connectionString: postgres.url });
    await blocker.connect();
    const pool = new pg.Pool({ connectionString: postgres.url, max: 1, statement_timeout: 20 });
    const store = new PostgresStore({ pool, schema: fresh, listen: false });
    const migrationWaits = async () => {
      // A bigint advisory key is split into classid (high half) and objid (low half).
      const { rows } = await schema.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE NOT granted AND locktype = 'advisory' AND objsubid = 1
            AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
        [`redrive:migrate:${fresh}`],
      );
      return rows[0]?.n ?? 0;
    };
    try {
      await blocker.query('BEGIN');
      // The same lock a migrating process holds (migrate.ts): this one is "another process".
      await blocker.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `redrive:migrate:${fresh}`,
      ]);
      const ready = store.ready().then(
        () => 'migrated',
        (e: unknown) => e,
      );
      expect(await until(migrationWaits, 1, 2000)).toBe(1);
      // Twice the pool's bound, and the migration still waits for the lock.
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(await migrationWaits()).toBe(1);
      await blocker.query('COMMIT');
      expect(await ready).toBe('migrated');
      expect(await store.countJobs({ queue: 'q' })).toMatchObject({ waiting: 0 });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await store.close();
      await pool.end();
      await schema.pool.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
    }
  });
});
