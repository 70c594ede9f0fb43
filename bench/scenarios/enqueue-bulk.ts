/**
 * enqueue-bulk: `addBulk` in calls of 1,000 jobs. Building each call's entries is timed too (it is
 * part of what a producer pays, and a few percent at most).
 */
import { Queue } from '../../src/index.js';
import { makeBulk } from '../payload.js';
import {
  cpuSecondsSince,
  expectCount,
  QUEUE,
  type Scenario,
  secondsSince,
  serverCpuWindow,
} from './context.js';

export const enqueueBulk: Scenario = async (ctx) => {
  const { db, sizes } = ctx;
  const store = db.open();
  const queue = new Queue(QUEUE, { store });
  const total = sizes.enqueueBulk;
  // Schema set-up (a PostgreSQL store migrates a fresh schema on first use) is not enqueueing:
  // done before the clock starts, as the peers' scenarios migrate before theirs.
  await queue.getCounts();
  const chunk = sizes.bulkChunk;
  const window = await serverCpuWindow(ctx);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let seq = 0; seq < total; seq += chunk) {
    await queue.addBulk(makeBulk(seq, Math.min(chunk, total - seq)));
  }
  const seconds = secondsSince(start);
  const cpuSeconds = cpuSecondsSince(cpuStart);
  const server = await window(total);
  expectCount('waiting jobs', (await queue.getCounts()).waiting, total);
  await queue.close();
  await store.close();
  return { jobs: total, seconds, details: { chunk, cpuSeconds, ...server } };
};
