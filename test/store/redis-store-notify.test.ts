/**
 * Redis store on a real server: wake-ups of queue watchers in this and in other processes.
 */
import { describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0, within } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore', () => {
  const { admin, open } = redisStoreHarness(redis);

  describe('notify', () => {
    async function subscribed(store: RedisStore, queue: string): Promise<void> {
      const channel = store.keys.notifyChannel(queue);
      const deadline = Date.now() + 3000;
      for (;;) {
        const [, n] = (await admin!.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        if (Number(n) > 0) return;
        if (Date.now() > deadline) throw new Error('the notifier did not subscribe');
      }
    }

    it('wakes a watcher in another process when jobs arrive or a queue resumes', async () => {
      const watching = open();
      const other = open({ prefix: watching.keys.prefix });
      let calls = 0;
      let wake: () => void = () => {};
      const unwatch = watching.watchQueue('q', () => {
        calls++;
        wake();
      });
      await subscribed(watching, 'q');
      const inserted = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await other.insertJobs({ jobs: [job()], now: T0 });
      await within(2000, inserted, 'the wake-up after an insert');
      const resumed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await other.pauseQueue({ queue: 'q' });
      await other.resumeQueue({ queue: 'q' });
      await within(2000, resumed, 'the wake-up after a resume');
      unwatch();
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(watching.capabilities.notify).toBe(true);
    });

    it('wakes a watcher in the same process at once', async () => {
      const store = open();
      let calls = 0;
      store.watchQueue('q', () => calls++);
      await store.insertJobs({ jobs: [job()], now: T0 });
      // At once (the pub/sub echo of the same insert may add a second, harmless call later).
      expect(calls).toBeGreaterThanOrEqual(1);
    });
  });
});
