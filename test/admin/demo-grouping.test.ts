/**
 * The demo's failures group once each: every 422 the demo's handler throws is one group (it used
 * to be two identical "HttpError 422" rows, split by the worker's own frames under the handler).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { createHandler, DEMO_QUEUES, type DemoPayload } from '../../demo/scenarios.js';
import { DeadLetterQueue, Queue, SqliteStore, Worker } from '../../src/index.js';

const store = new SqliteStore({ path: ':memory:', pollIntervalMs: 5 });

afterEach(async () => {
  await store.close();
});

it('puts every 422 of the demo in one failure group, identified by its handler frame', async () => {
  const emails = DEMO_QUEUES.find((q) => q.name === 'emails')!;
  const queue = new Queue<DemoPayload>('emails', { store });
  const jobs = 12;
  for (let i = 0; i < jobs; i++) {
    await queue.add('send-receipt', {
      to: `u${i}@example.com`,
      behaviour: { kind: 'invalid', error: 'http_422' },
    });
  }
  const worker = new Worker<DemoPayload>('emails', createHandler(emails), {
    store,
    concurrency: emails.concurrency,
    pollIntervalMs: 5,
  });
  try {
    for (let waited = 0; (await store.countJobs({ queue: 'emails' })).dead_lettered < jobs; waited++) {
      if (waited > 400) throw new Error('the demo jobs were not dead-lettered');
      await sleep(25);
    }
  } finally {
    await worker.close();
    await queue.close();
  }
  const dlq = new DeadLetterQueue({ store, fallbackPath: false });
  const { groups } = await dlq.topFailures();
  expect(groups).toHaveLength(1);
  expect(groups[0]).toMatchObject({
    count: jobs,
    errorClass: 'HttpError',
    signature: {
      errorClass: 'HttpError',
      message: 'upstream answered 422 Unprocessable Entity: "<str>" is not a valid URL',
      frame: 'handler (demo/scenarios.ts)',
    },
  });
});
