/**
 * latency-cross: enqueue-to-handler-start delay with the worker in another process
 * (bench/child-worker.ts), which notices the producer's commits by polling the database (SQLite)
 * or by the store's notification (PostgreSQL LISTEN/NOTIFY).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from '../../src/index.js';
import type { ChildMessage } from '../child-worker.js';
import { probeLatency, StartTracker } from '../latency-probe.js';
import type { BenchPayload } from '../payload.js';
import { makePayload } from '../payload.js';
import { summarize } from '../percentile.js';
import { sleep } from '../wait.js';
import { QUEUE, type Scenario } from './context.js';

const CHILD = fileURLToPath(new URL('../child-worker.ts', import.meta.url));

function spawnWorker(storeArg: string, synchronous: string, tracker: StartTracker): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeArg, synchronous], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child worker did not get ready in 30 s')), 30_000);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'start') tracker.record(message.seq, message.at);
      else if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child worker exited early (code ${code})`));
    });
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}

export const latencyCross: Scenario = async ({ db, sizes, synchronous }) => {
  const store = db.open();
  const queue = new Queue<BenchPayload>(QUEUE, { store });
  await queue.getCounts(); // creates the schema before the child opens the file
  const tracker = new StartTracker();
  const child = await spawnWorker(db.workerUrl ?? db.path, synchronous, tracker);
  try {
    await sleep(300);
    const run = await probeLatency({
      samples: sizes.latencySamples,
      gapMs: sizes.latencyGapMs,
      tracker,
      enqueue: (seq) => queue.add('ping', makePayload(seq)),
    });
    const summary = summarize(run.latenciesMs);
    return {
      jobs: run.latenciesMs.length,
      seconds: run.seconds,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      details: { ...summary, missed: run.missed, gapMs: sizes.latencyGapMs },
    };
  } finally {
    await stopWorker(child);
    await store.close();
  }
};
