/**
 * The completed-job cleaner on a FakeClock: completed jobs older than the retention period go on
 * its interval, every queue, in bounded batches; other states and recent completions stay.
 */
import { describe, expect, it } from 'vitest';
import { CompletedJobCleaner } from '../../src/maintenance/completed-job-cleaner.js';
import { claim, insert, newJob } from '../../src/store/conformance/fixtures.js';
import { advance, useFixture } from './helpers.js';

describe('CompletedJobCleaner', () => {
  const t = useFixture();

  async function complete(queue: string, n: number) {
    const fx = t.fx();
    const { store, clock } = fx;
    await insert(
      store,
      Array.from({ length: n }, () => newJob({ queue })),
      clock.now(),
    );
    const jobs = await claim(store, { queue, now: clock.now(), limit: n });
    await store.completeJobs({
      completions: jobs.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
      now: clock.now(),
    });
    return jobs.map((j) => j.id);
  }

  it('deletes completed jobs past the retention on its interval, in bounded batches', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const old = [...(await complete('a', 5)), ...(await complete('b', 2))];
    const [waiting] = await insert(store, [newJob({ queue: 'c' })], clock.now());
    const cleaner = new CompletedJobCleaner({
      store,
      retentionMs: 10_000,
      intervalMs: 5000,
      batchSize: 2,
      maxBatches: 2,
    });
    const m = await t.run([cleaner]);
    // The runs at 0, 5 and 10 s find nothing old enough (the jobs finished at 0 s).
    await advance(clock, 10_000);
    expect((await store.countJobs({})).completed).toBe(7);
    await advance(clock, 2000);
    const recent = await complete('a', 1);
    // At 15 s: 4 per run (2 batches of 2), so two runs clear the 7 old ones.
    await advance(clock, 3000);
    expect((await store.countJobs({})).completed).toBe(4);
    expect(m.status().services[0]?.lastReport).toEqual({ deleted: 4 });
    await advance(clock, 5000);
    for (const id of old) expect(await store.getJob({ id })).toBeNull();
    expect(await store.getJob({ id: recent[0]! })).toMatchObject({ state: 'completed' });
    expect(await store.getJob({ id: waiting! })).toMatchObject({ state: 'waiting' });
  });
});
