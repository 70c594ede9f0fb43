/**
 * Redis store on a real server: Queue and Worker end to end, woken across processes.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import { redisService } from '../support/services.js';
import { redisStoreHarness, within } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  describe('Queue and Worker on the Redis store', () => {
    it('runs jobs, retries, dead-letters a permanent failure, and wakes an idle worker from another process', async () => {
      const producerStore = open({ clock: 'server' });
      const workerStore = open({ clock: 'server', prefix: producerStore.keys.prefix });
      const queue = new Queue<{ n: number; fail?: 'once' | 'always' }>('work', { store: producerStore });
      const seen = new Map<number, number>();
      const done = new Set<number>();
      let finish: () => void = () => {};
      const allDone = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const deadLettered: string[] = [];
      const worker = new Worker<{ n: number; fail?: 'once' | 'always' }>(
        'work',
        async (active) => {
          const { n, fail } = active.payload;
          const attempt = (seen.get(n) ?? 0) + 1;
          seen.set(n, attempt);
          if (fail === 'always') throw new PermanentError('never works');
          if (fail === 'once' && attempt === 1) throw new Error('flaky');
          done.add(n);
          if (done.size === 20) finish();
        },
        {
          store: workerStore,
          concurrency: 5,
          backoff: { type: 'fixed', delayMs: 1, jitter: 'none' },
          pollIntervalMs: 10_000,
        },
      );
      worker.on('job.dead_lettered', (e) => deadLettered.push(e.deadLetterId));
      try {
        // The worker is idle with a 10 s poll: only a notification gets these jobs started quickly.
        const started = performance.now();
        await queue.addBulk(
          Array.from({ length: 20 }, (_, n) => ({
            name: 'w',
            payload: { n, ...(n % 5 === 0 ? { fail: 'once' as const } : {}) },
          })),
        );
        await queue.add('bad', { n: 99, fail: 'always' });
        await within(5000, allDone, 'the 20 jobs');
        expect(performance.now() - started).toBeLessThan(5000);
        for (const n of [0, 5, 10, 15]) expect(seen.get(n)).toBe(2);
        const deadline = Date.now() + 5000;
        while (deadLettered.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        expect(deadLettered).toHaveLength(1);
        const dl = await producerStore.getDeadLetter({ id: deadLettered[0]! });
        expect(dl).toMatchObject({
          queue: 'work',
          jobName: 'bad',
          payload: { n: 99, fail: 'always' },
          status: 'pending',
        });
      } finally {
        await worker.close();
        await queue.close();
      }
      expect(await producerStore.countJobs({ queue: 'work' })).toMatchObject({
        completed: 20,
        dead_lettered: 1,
        active: 0,
      });
    });
  });
});
