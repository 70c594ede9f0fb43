/**
 * A Worker on the PostgreSQL store whose connections (the pool's and the LISTEN one) are reset and
 * refused for a while resumes consuming by itself once the database is reachable again: it is
 * woken on reconnect for the jobs added meanwhile, well before its next poll.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL store after its connections are reset', () => {
  const schema = new PostgresTestSchema(postgres.url, 'reconnect');
  afterAll(() => schema.drop());

  it('a Worker resumes consuming by itself once the database is back, woken without a poll', async () => {
    const producer = await schema.freshStore();
    const { store, proxy } = await schema.storeThroughProxy();
    const queue = new Queue<{ n: number }>('resume', { store: producer });
    const seen: number[] = [];
    // A 10 s poll: a job taken within the 5 s bounds below was taken on a wake-up.
    const worker = new Worker<{ n: number }>('resume', async (job) => void seen.push(job.payload.n), {
      store,
      pollIntervalMs: 10_000,
      maintenance: false,
    });
    worker.on('error', () => {});
    try {
      await waitFor('the LISTEN connection', () => store.listening);
      await queue.add('n', { n: 1 });
      await waitFor('the first job', () => seen.includes(1), { timeoutMs: 5000 });
      proxy.setMode('reset');
      await waitFor('the listener to notice', () => !store.listening);
      // Added while the worker's connections are down: its notification is lost with them.
      await queue.add('n', { n: 2 });
      const resets = proxy.stats().resets;
      await waitFor('a reconnection attempt, refused', () => proxy.stats().resets > resets, {
        timeoutMs: 10_000,
      });
      proxy.setMode('pass');
      await waitFor('the job added while cut off', () => seen.includes(2), { timeoutMs: 5000 });
      await queue.add('n', { n: 3 });
      await waitFor('a job added after', () => seen.includes(3), { timeoutMs: 5000 });
      expect(seen).toEqual([1, 2, 3]);
      // Completions are written in batches after the handlers return: wait for the last one.
      await waitFor('every completion written', async () => {
        const counts = await producer.countJobs({ queue: 'resume' });
        return counts.completed === 3 && counts.active === 0;
      });
    } finally {
      await worker.close();
      await queue.close();
      await store.close();
      await producer.close();
      await proxy.close();
    }
  });
});
