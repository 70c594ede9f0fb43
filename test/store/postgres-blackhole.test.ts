/**
 * The PostgreSQL store behind a connection that stops answering without a reset (a partition, a
 * dead host): every call settles within `queryTimeoutMs` as a StoreUnavailableError whose outcome
 * is unknown, single statements and transactions alike, and so does a call that needs a new
 * connection; once the network heals the store works again by itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

/** How `promise` settled, and after how many ms; a call still pending after 5 s is a hang. */
async function settle(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('still pending after 5000 ms')), 5000);
  });
  try {
    await Promise.race([promise, hung]);
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!postgres.available)('PostgreSQL store behind a connection that stops answering', () => {
  const schema = new PostgresTestSchema(postgres.url, 'blackhole');
  afterAll(() => schema.drop());

  it('settles every call within queryTimeoutMs as unavailable, then works again once the network heals', async () => {
    const producer = await schema.freshStore();
    const { store, proxy } = await schema.storeThroughProxy({ listen: false, queryTimeoutMs: 300 });
    try {
      await store.insertJobs({ jobs: [newJob()], now: T0 });
      proxy.setMode('blackhole');
      const calls = [
        store.countJobs({}),
        store.claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c1' }),
        // The pool holds two connections, both stuck: this one waits for a third.
        store.insertJobs({ jobs: [newJob()], now: T0 }),
      ];
      for (const { error, ms } of await Promise.all(calls.map(settle))) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/may or may not have been applied/);
        expect(ms).toBeLessThan(2000);
      }
      proxy.setMode('pass');
      const counts = await store.countJobs({ queue: 'q' });
      expect(counts.waiting + counts.active).toBeGreaterThanOrEqual(1);
      expect((await store.insertJobs({ jobs: [newJob()], now: T0 }))[0]?.created).toBe(true);
    } finally {
      proxy.setMode('pass');
      await store.close();
      await producer.close();
      await proxy.close();
    }
  });
});
