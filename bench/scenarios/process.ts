/**
 * process-c1 / process-c50: pre-fill the queue, then time a Worker draining all of it at the
 * given concurrency. RSS is sampled every 1/20 of the drain from the handler (timers do not fire
 * while the worker is busy); its growth over the drain is reported.
 */
import { Queue } from '../../src/index.js';
import type { BenchPayload } from '../payload.js';
import { expectCount, QUEUE, type Scenario, serverCpuWindow } from './context.js';
import { drain } from './drain.js';
import { prefill } from './prefill.js';

export function processScenario(concurrency: number): Scenario {
  return async (ctx) => {
    const { db, sizes, rss } = ctx;
    const store = db.open();
    const queue = new Queue<BenchPayload>(QUEUE, { store });
    const total = sizes.process;
    rss.mark('prefill');
    await prefill(queue, total);
    await db.settle();
    rss.mark('drain');
    const window = await serverCpuWindow(ctx);
    const result = await drain(store, total, {
      concurrency,
      onProgress: () => rss.sample(),
      progressEvery: Math.max(1, Math.floor(total / 20)),
    });
    const server = await window(total);
    rss.sample();
    const drainRss = rss.phaseSummary('drain');
    rss.mark('close');
    const counts = await queue.getCounts();
    expectCount('completed jobs', counts.completed, total);
    await store.close();
    return {
      jobs: total,
      seconds: result.seconds,
      details: {
        concurrency,
        eventLoopStallMs: result.eventLoopStallMs,
        cpuSeconds: Math.round(result.cpuSeconds * 1000) / 1000,
        ...(result.mainThreadCpuSeconds === undefined
          ? {}
          : {
              mainThreadCpuSeconds: Math.round(result.mainThreadCpuSeconds * 1000) / 1000,
              storeCpuSeconds: Math.round(result.storeCpuSeconds * 1000) / 1000,
            }),
        rssDrainStartMb: drainRss.startMb,
        rssDrainEndMb: drainRss.endMb,
        rssDrainGrowthMb: drainRss.growthMb,
        ...server,
        ...(result.errors.length ? { workerErrors: result.errors.slice(0, 5) } : {}),
      },
    };
  };
}
