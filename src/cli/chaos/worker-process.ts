/**
 * One worker process of `redrive chaos`: a real {@link Worker} on the store, run until it is
 * killed (SIGKILL) or told to stop. It reports over the IPC channel every handler start, every
 * completion the store acknowledged and every dead letter, so that the command can count
 * re-executions and time recoveries. A report sent just before a SIGKILL may be lost; the
 * command's verdict rests on the store, the reports only on what they add.
 *
 * Spawned by `spawnChaosWorker` (worker-spawn.ts) with one argument: the {@link ChaosWorkerConfig} as JSON.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '../../core/clock.js';
import { PermanentError } from '../../core/errors.js';
import { Worker } from '../../queue/worker.js';
import { openStore, parseStoreUrl } from '../store-url.js';

/** What a chaos worker process is told. */
export interface ChaosWorkerConfig {
  storeUrl: string;
  queue: string;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  recoveryIntervalMs: number;
  /** How long each handler runs. */
  jobMs: number;
}

/** The payload of a chaos job: its number, and whether its handler throws a permanent error. */
export interface ChaosPayload {
  n: number;
  fail: boolean;
}

/** A message from a chaos worker process (`at`: epoch ms on the worker's clock). */
export type ChaosWorkerMessage =
  | { t: 'ready'; workerId: string }
  | { t: 'start'; id: string; at: number }
  | { t: 'completed'; id: string }
  | { t: 'dead'; id: string }
  /** A recovery sweep of this worker returned an orphan to waiting (or dead-lettered a poison pill). */
  | { t: 'recovered'; id: string; at: number }
  | { t: 'error'; message: string };

/** Runs a chaos worker in this process. */
export async function runChaosWorker(config: ChaosWorkerConfig): Promise<void> {
  const send = (message: ChaosWorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  const store = openStore(parseStoreUrl(config.storeUrl));
  const worker = new Worker<ChaosPayload>(
    config.queue,
    async (job) => {
      send({ t: 'start', id: job.id, at: systemClock.now() });
      if (config.jobMs > 0) await delay(config.jobMs);
      if (job.payload.fail) throw new PermanentError(`chaos job ${job.payload.n} fails by design`);
      return config.workerId;
    },
    {
      store,
      workerId: config.workerId,
      concurrency: config.concurrency,
      leaseMs: config.leaseMs,
      heartbeatMs: config.heartbeatMs,
      recoveryIntervalMs: config.recoveryIntervalMs,
      // Kills interrupt jobs that ran beside others; only repeated kills while alone make a poison pill.
      completedRetentionMs: false,
    },
  );
  worker.on('job.completed', ({ jobId }) => send({ t: 'completed', id: jobId }));
  worker.on('job.dead_lettered', ({ jobId }) => send({ t: 'dead', id: jobId }));
  worker.on('job.stalled', ({ jobId }) => send({ t: 'recovered', id: jobId, at: systemClock.now() }));
  worker.on('error', ({ error }) => send({ t: 'error', message: error.message }));
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await worker.close();
    await store.close();
    process.disconnect?.();
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('disconnect', () => void shutdown());
  send({ t: 'ready', workerId: config.workerId });
}

// Set by the spawner only, so that importing this module (for its types) runs nothing.
if (process.env.REDRIVE_CHAOS_WORKER === '1') {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChaosWorkerConfig;
  await runChaosWorker(config);
}
