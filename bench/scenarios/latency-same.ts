/**
 * latency-same: enqueue-to-handler-start delay with the worker in the producer's process (woken
 * by the store's in-process notify).
 */
import { Queue, Worker } from '../../src/index.js';
import { epochMs } from '../clock.js';
import { probeLatency, StartTracker } from '../latency-probe.js';
import type { BenchPayload } from '../payload.js';
import { makePayload } from '../payload.js';
import { summarize } from '../percentile.js';
import { sleep } from '../wait.js';
import { QUEUE, type Scenario } from './context.js';

export const latencySame: Scenario = async ({ db, sizes }) => {
  const store = db.open();
  const queue = new Queue<BenchPayload>(QUEUE, { store });
  const tracker = new StartTracker();
  const worker = new Worker<BenchPayload>(
    QUEUE,
    async (job) => {
      tracker.record(job.payload.seq, epochMs());
    },
    { store, concurrency: 1 },
  );
  await sleep(200);
  const run = await probeLatency({
    samples: sizes.latencySamples,
    gapMs: sizes.latencyGapMs,
    tracker,
    enqueue: (seq) => queue.add('ping', makePayload(seq)),
  });
  await worker.close();
  await store.close();
  const summary = summarize(run.latenciesMs);
  return {
    jobs: run.latenciesMs.length,
    seconds: run.seconds,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    details: { ...summary, missed: run.missed, gapMs: sizes.latencyGapMs },
  };
};
