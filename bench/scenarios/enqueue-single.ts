/**
 * enqueue-single: sequential `await queue.add(...)`, one job at a time, on an empty queue.
 */
import { Queue } from '../../src/index.js';
import { makePayload } from '../payload.js';
import {
  cpuSecondsSince,
  expectCount,
  QUEUE,
  type Scenario,
  secondsSince,
  serverCpuWindow,
} from './context.js';

export const enqueueSingle: Scenario = async (ctx) => {
  const { db, sizes } = ctx;
  const store = db.open();
  const queue = new Queue(QUEUE, { store });
  const total = sizes.enqueueSingle;
  // Schema set-up (a PostgreSQL store migrates a fresh schema on first use) is not enqueueing:
  // done before the clock starts, as the peers' scenarios migrate before theirs.
  await queue.getCounts();
  const window = await serverCpuWindow(ctx);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < total; i++) await queue.add('email', makePayload(i));
  const seconds = secondsSince(start);
  const cpuSeconds = cpuSecondsSince(cpuStart);
  const server = await window(total);
  expectCount('waiting jobs', (await queue.getCounts()).waiting, total);
  await queue.close();
  await store.close();
  return { jobs: total, seconds, details: { cpuSeconds, ...server } };
};
