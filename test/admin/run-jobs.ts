/**
 * Runs real jobs through a Queue and a Worker on the admin harness's store, so the admin API has
 * completed and dead-lettered jobs to show.
 */
import { PermanentError, Queue, Worker } from '../../src/index.js';
import type { AdminHarness } from './helpers.js';

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Adds `ok` jobs that succeed and `bad` jobs that fail permanently, runs them, returns the ids. */
export async function runJobs(
  h: AdminHarness,
  queue: string,
  ok: number,
  bad: number,
): Promise<{ ids: string[] }> {
  const q = new Queue(queue, { store: h.store });
  const before = await h.store.countJobs({ queue });
  const ids: string[] = [];
  for (let i = 0; i < ok; i++) ids.push((await q.add('fine', { i })).id);
  for (let i = 0; i < bad; i++) ids.push((await q.add('broken', { i, customer: { id: 7 } })).id);
  const worker = new Worker(
    queue,
    async (job) => {
      if (job.name === 'broken')
        throw new PermanentError(`order ${String((job.payload as { i: number }).i)} is invalid`);
      return { ok: true };
    },
    { store: h.store, pollIntervalMs: 5 },
  );
  await until(async () => {
    const c = await h.store.countJobs({ queue });
    return c.completed === before.completed + ok && c.dead_lettered === before.dead_lettered + bad;
  });
  await worker.close();
  await q.close();
  return { ids };
}
