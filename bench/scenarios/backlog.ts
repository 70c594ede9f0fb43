/**
 * backlog-10k / backlog-1m: the same process-c50 drain of a fixed number of jobs, with a small or
 * a large backlog left waiting behind them. The queue is pre-filled with `drain + depth` jobs, so
 * at least `depth` jobs wait during the whole measurement; the runner reports the 1M figure as a
 * ratio of the 10k one. Both drains start from a settled database (see settle.ts). RSS is sampled through prefill, and every 1/20 of the drain from the
 * handler (timers do not fire while the worker is busy), to show whether it stays flat.
 */
import { Queue } from '../../src/index.js';
import type { BenchPayload } from '../payload.js';
import { QUEUE, type Scenario } from './context.js';
import { drain } from './drain.js';
import { prefill } from './prefill.js';

export function backlogScenario(depth: 'small' | 'large'): Scenario {
  return async ({ db, sizes, rss }) => {
    const store = db.open();
    const queue = new Queue<BenchPayload>(QUEUE, { store });
    const backlog = depth === 'small' ? sizes.backlogSmall : sizes.backlogLarge;
    const count = sizes.backlogDrain;
    rss.mark('prefill');
    const prefillStart = performance.now();
    await prefill(queue, count + backlog);
    const prefillSeconds = (performance.now() - prefillStart) / 1000;
    await db.settle();
    rss.mark('drain');
    const result = await drain(store, count, {
      concurrency: 50,
      onProgress: () => rss.sample(),
      progressEvery: Math.max(1, Math.floor(count / 20)),
    });
    rss.sample();
    const drainRss = rss.phaseSummary('drain');
    rss.mark('close');
    const counts = await queue.getCounts();
    await store.close();
    if (counts.completed < count || counts.waiting + counts.completed !== count + backlog) {
      throw new Error(`unexpected counts after the drain: ${JSON.stringify(counts)}`);
    }
    return {
      jobs: result.completed,
      seconds: result.seconds,
      details: {
        backlog,
        drained: count,
        prefillSeconds: Math.round(prefillSeconds * 100) / 100,
        waitingAfter: counts.waiting,
        rssDrainStartMb: drainRss.startMb,
        rssDrainEndMb: drainRss.endMb,
        rssDrainGrowthMb: drainRss.growthMb,
        rssDrainMaxMb: drainRss.maxMb,
        eventLoopStallMs: result.eventLoopStallMs,
        cpuSeconds: Math.round(result.cpuSeconds * 1000) / 1000,
        rssTimelineMb: rss.timeline(undefined, 30),
        ...(result.errors.length ? { workerErrors: result.errors.slice(0, 5) } : {}),
      },
    };
  };
}
