/**
 * enqueue-single: sequential `await queue.add(...)`, one job at a time, on an empty queue.
 */
import { Queue } from '../../src/index.js';
import { makePayload } from '../payload.js';
import { expectCount, QUEUE, type Scenario, secondsSince } from './context.js';

export const enqueueSingle: Scenario = async ({ db, sizes }) => {
  const store = db.open();
  const queue = new Queue(QUEUE, { store });
  const total = sizes.enqueueSingle;
  // Schema set-up (a PostgreSQL store migrates a fresh schema on first use) is not enqueueing:
  // done before the clock starts, as the peers' scenarios migrate before theirs.
  await queue.getCounts();
  const start = performance.now();
  for (let i = 0; i < total; i++) await queue.add('email', makePayload(i));
  const seconds = secondsSince(start);
  expectCount('waiting jobs', (await queue.getCounts()).waiting, total);
  await queue.close();
  await store.close();
  return { jobs: total, seconds };
};
