/**
 * job.transaction on PostgreSQL: the handler's writes (through the pg client inside BEGIN) and the
 * job's fenced completion commit together; a worker whose lease was taken over has its writes
 * rolled back; a throwing function commits nothing and the job retries as usual.
 */
import type pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSeededRandom,
  FakeClock,
  LeaseLostError,
  ProcessQuarantine,
  type RedriveEvents,
} from '../../src/index.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import type { WorkerOptions } from '../../src/queue/worker-options.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('job.transaction on PostgreSQL', () => {
  const schema = new PostgresTestSchema(postgres.url, 'jobtx');
  const table = `"${schema.schema}".shipments`;
  let store: PostgresStore;
  let clock: FakeClock;
  let queue: Queue;
  let workers: Worker[];
  let seed = 1;
  beforeEach(async () => {
    store = await schema.freshStore({ listen: false });
    clock = new FakeClock();
    queue = new Queue('ship', { store, clock });
    workers = [];
    await schema.pool.query(
      `CREATE TABLE IF NOT EXISTS ${table} (job_id text NOT NULL, worker text NOT NULL)`,
    );
    await schema.pool.query(`DELETE FROM ${table}`);
    return async () => {
      for (const w of workers) await w.close({ timeoutMs: 0 });
      await queue.close();
      await store.close();
    };
  });
  afterAll(() => schema.drop());

  function worker(handler: ConstructorParameters<typeof Worker>[1], opts: Partial<WorkerOptions> = {}) {
    const w = new Worker('ship', handler, {
      store,
      clock,
      random: createSeededRandom(seed++),
      pollIntervalMs: 10,
      // Each worker stands for a process of its own (the stale one is blocked, not a neighbour).
      quarantineGate: new ProcessQuarantine(),
      ...opts,
    });
    workers.push(w);
    return w;
  }
  const rows = async () =>
    (await schema.pool.query(`SELECT job_id, worker FROM ${table} ORDER BY worker`)).rows;
  const ship = (client: pg.PoolClient, jobId: string, by: string) =>
    client.query(`INSERT INTO ${table} (job_id, worker) VALUES ($1, $2)`, [jobId, by]);

  it('commits the handler writes with the completion; the return value is the result', async () => {
    const { id } = await queue.add('ship', { order: 1 });
    const completed: string[] = [];
    const w = worker(async (job) => {
      await job.transaction(async (client: pg.PoolClient) => {
        await ship(client, job.id, 'w');
        // Not visible outside the transaction before it commits.
        expect((await schema.pool.query(`SELECT 1 FROM ${table}`)).rowCount).toBe(0);
      });
      return { shipped: true };
    });
    w.on('job.completed', (e) => completed.push(e.jobId));
    await waitFor('the result', async () => (await store.getJob({ id }))?.result !== null);
    expect(await rows()).toEqual([{ job_id: id, worker: 'w' }]);
    expect(await store.getJob({ id })).toMatchObject({
      state: 'completed',
      attemptsMade: 1,
      result: { shipped: true },
    });
    expect(completed).toEqual([id]);
    expect(w.stats()).toMatchObject({ completed: 1, leasesLost: 0 });
  });

  it('a throwing function commits nothing; the job retries and then commits once', async () => {
    const { id } = await queue.add('ship', null, { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 10 } });
    let calls = 0;
    worker(async (job) => {
      await job.transaction(async (client: pg.PoolClient) => {
        await ship(client, job.id, 'w');
        if (++calls === 1) throw new Error('carrier refused');
      });
    });
    await waitFor('completion on the second attempt', async () => {
      clock.advance(10);
      return (await store.getJob({ id }))?.state === 'completed';
    });
    expect(await rows()).toEqual([{ job_id: id, worker: 'w' }]);
    const job = await store.getJob({ id });
    expect(job?.attemptsMade).toBe(2);
    expect(job?.attempts[0]?.message).toBe('carrier refused');
  });

  it('a worker whose lease was taken over has its transaction rolled back', async () => {
    const { id } = await queue.add('ship', null);
    // The stale worker's clock never moves: its heartbeats never run, as in a blocked event loop.
    const frozen = new FakeClock(clock.now());
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let staleError: unknown;
    const alerts: RedriveEvents['alert'][] = [];
    const stale = worker(
      async (job) => {
        await released;
        await job
          .transaction(async (client: pg.PoolClient) => {
            await ship(client, job.id, 'stale');
          })
          .catch((error: unknown) => {
            staleError = error;
            throw error;
          });
      },
      { clock: frozen, leaseMs: 1000, heartbeatMs: 200, recoveryIntervalMs: 100_000 },
    );
    stale.on('alert', (a) => alerts.push(a));
    await waitFor('the stale worker to start the job', () => stale.stats().running === 1);
    worker(
      async (job) => {
        await job.transaction((client: pg.PoolClient) => ship(client, job.id, 'fresh'));
        return 'fresh';
      },
      { leaseMs: 1000, heartbeatMs: 200, recoveryIntervalMs: 100 },
    );
    await waitFor('the fresh worker to recover and complete the job', async () => {
      clock.advance(100);
      return (await store.getJob({ id }))?.result === 'fresh';
    });
    release();
    await waitFor('the stale transaction to end', () => staleError !== undefined);
    expect(staleError).toBeInstanceOf(LeaseLostError);
    expect(await rows()).toEqual([{ job_id: id, worker: 'fresh' }]);
    expect(stale.stats()).toMatchObject({ completed: 0, leasesLost: 1 });
    expect(alerts.map((a) => a.type)).toEqual(['lease_lost']);
  });
});
