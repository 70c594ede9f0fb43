/**
 * job.transaction on SQLite: the handler's writes to the application's database and the job's
 * completion commit together, a worker that lost its lease has its writes rolled back, a throwing
 * function commits nothing, and the completion never also goes through the batched path.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FakeClock,
  LeaseLostError,
  type RedriveEvents,
  ShardedSqliteStore,
  SqliteStore,
  StateConflictError,
  ValidationError,
} from '../../src/index.js';
import { createHarness, deferred, type Harness } from './helpers.js';

let h: Harness;
let db: Database.Database;
let store: SqliteStore;

beforeEach(() => {
  h = createHarness();
  db = new Database(join(h.dir, 'app.db'));
  db.exec('CREATE TABLE shipments (job_id TEXT NOT NULL, worker TEXT NOT NULL)');
  store = new SqliteStore({ database: db, pollIntervalMs: 0 });
});
afterEach(async () => {
  await h.cleanup();
  await store.close();
  db.close();
});

const rows = () => db.prepare('SELECT job_id, worker FROM shipments ORDER BY rowid').all();
const ship = (worker: string) => (tx: Database.Database, jobId: string) =>
  tx.prepare('INSERT INTO shipments (job_id, worker) VALUES (?, ?)').run(jobId, worker);

function watch(worker: { on: (e: 'alert', l: (a: RedriveEvents['alert']) => void) => unknown }) {
  const alerts: RedriveEvents['alert'][] = [];
  worker.on('alert', (a) => alerts.push(a));
  return alerts;
}

describe('job.transaction on a SQLite store opened on the application database', () => {
  it('commits the handler writes with the completion; the handler return value is the result', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', { order: 7 });
    const completed: RedriveEvents['job.completed'][] = [];
    const worker = h.worker(
      'ship',
      async (job) => {
        const changes = await job.transaction((tx: Database.Database) => ship('w')(tx, job.id).changes);
        return { shipped: changes };
      },
      { store },
    );
    worker.on('job.completed', (e) => completed.push(e));
    const alerts = watch(worker);
    await h.waitFor(async () => (await store.getJob({ id }))?.result !== null, { what: 'result written' });
    expect(rows()).toEqual([{ job_id: id, worker: 'w' }]);
    expect(await store.getJob({ id })).toMatchObject({
      state: 'completed',
      result: { shipped: 1 },
      attemptsMade: 1,
    });
    // Completed once, by the transaction: the batched path neither completes it again nor reports a conflict.
    await h.advance(100);
    expect(completed.map((e) => e.jobId)).toEqual([id]);
    expect(worker.stats()).toMatchObject({ completed: 1, failed: 0, leasesLost: 0 });
    expect(alerts).toEqual([]);
  });

  it('a throwing function commits nothing and the job fails and retries as usual', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', null, { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 10 } });
    let calls = 0;
    const worker = h.worker(
      'ship',
      async (job) => {
        await job.transaction((tx: Database.Database) => {
          ship('w')(tx, job.id);
          if (++calls === 1) throw new Error('carrier refused');
        });
      },
      { store },
    );
    await h.waitFor(async () => (await store.getJob({ id }))?.state === 'completed', {
      advanceMs: 5,
      what: 'completion on the second attempt',
    });
    expect(rows()).toEqual([{ job_id: id, worker: 'w' }]);
    const job = await store.getJob({ id });
    expect(job?.attemptsMade).toBe(2);
    expect(job?.attempts[0]?.message).toBe('carrier refused');
    expect(worker.stats()).toMatchObject({ completed: 1, retried: 1 });
  });

  it('a worker whose lease was taken over has its transaction rolled back', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', null);
    // The stale worker's clock never moves: its heartbeats never run, as in a blocked event loop.
    const frozen = new FakeClock(h.clock.now());
    const release = deferred();
    let staleError: unknown;
    const stale = h.worker(
      'ship',
      async (job) => {
        await release.promise;
        try {
          await job.transaction((tx: Database.Database) => ship('stale')(tx, job.id));
        } catch (error) {
          staleError = error;
          throw error;
        }
      },
      { store, clock: frozen, leaseMs: 1000, heartbeatMs: 200, recoveryIntervalMs: 100_000 },
    );
    const staleAlerts = watch(stale);
    await h.waitFor(() => stale.stats().running === 1, { what: 'the stale worker to start the job' });
    const fresh = h.worker(
      'ship',
      async (job) => {
        await job.transaction((tx: Database.Database) => ship('fresh')(tx, job.id));
        return 'fresh';
      },
      { store, leaseMs: 1000, heartbeatMs: 200, recoveryIntervalMs: 100 },
    );
    await h.waitFor(async () => (await store.getJob({ id }))?.state === 'completed', {
      advanceMs: 50,
      what: 'the fresh worker to recover and complete the job',
    });
    release.resolve();
    await h.waitFor(() => staleError !== undefined, { what: 'the stale transaction to end' });
    expect(staleError).toBeInstanceOf(LeaseLostError);
    expect(rows()).toEqual([{ job_id: id, worker: 'fresh' }]);
    expect(await store.getJob({ id })).toMatchObject({ state: 'completed', result: 'fresh' });
    expect(stale.stats()).toMatchObject({ completed: 0, leasesLost: 1 });
    expect(staleAlerts.map((a) => a.type)).toEqual(['lease_lost']);
    expect(fresh.stats().completed).toBe(1);
  });

  it('refuses an async function on SQLite, rolling back what it wrote before its first await', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', null, { maxAttempts: 1 });
    const worker = h.worker(
      'ship',
      async (job) => {
        await job.transaction(async (tx: Database.Database) => {
          ship('w')(tx, job.id);
        });
      },
      { store },
    );
    await h.waitFor(async () => (await store.getJob({ id }))?.state === 'dead_lettered', {
      what: 'the job to fail',
    });
    expect(rows()).toEqual([]);
    const job = await store.getJob({ id });
    expect(job?.attempts[0]?.message).toMatch(/must be synchronous/);
    expect(worker.stats().completed).toBe(0);
  });

  it('runs once per attempt', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', null);
    let second: unknown;
    h.worker(
      'ship',
      async (job) => {
        await job.transaction((tx: Database.Database) => ship('w')(tx, job.id));
        second = await job.transaction((tx: Database.Database) => ship('again')(tx, job.id)).catch((e) => e);
      },
      { store },
    );
    await h.waitFor(() => second !== undefined, { what: 'the second call' });
    expect(second).toBeInstanceOf(StateConflictError);
    expect(rows()).toEqual([{ job_id: id, worker: 'w' }]);
  });

  it('after a timeout the function does not run and nothing is written', async () => {
    const q = h.queue('ship', { store });
    const { id } = await q.add('ship', null, { timeout: 100, maxAttempts: 1 });
    const late = deferred();
    let outcome: unknown;
    h.worker(
      'ship',
      async (job) => {
        await late.promise;
        outcome = await job.transaction((tx: Database.Database) => ship('late')(tx, job.id)).catch((e) => e);
      },
      { store },
    );
    await h.waitFor(async () => (await store.getJob({ id }))?.state === 'dead_lettered', {
      advanceMs: 20,
      what: 'the timeout to fail the job',
    });
    late.resolve();
    await h.waitFor(() => outcome !== undefined, { what: 'the late transaction call' });
    expect((outcome as Error).name).toBe('JobTimeoutError');
    expect(rows()).toEqual([]);
  });

  it('a store without transactional completion refuses with a clear error', async () => {
    const sharded = new ShardedSqliteStore({
      directory: join(h.dir, 'shards'),
      shards: 2,
      pollIntervalMs: 0,
    });
    const q = h.queue('ship', { store: sharded });
    const { id } = await q.add('ship', null, { maxAttempts: 1 });
    let refusal: unknown;
    const worker = h.worker(
      'ship',
      async (job) => {
        refusal = await job.transaction(() => 1).catch((e) => e);
      },
      { store: sharded },
    );
    await h.waitFor(async () => (await sharded.getJob({ id }))?.state === 'completed', {
      what: 'completion',
    });
    await h.closeWorker(worker);
    await sharded.close();
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as Error).message).toMatch(/cannot complete a job inside the application's transaction/);
  });
});
