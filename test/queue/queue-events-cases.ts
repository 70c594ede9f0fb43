/**
 * The cross-process job-event cases, run on every store that carries job events: a worker in a
 * child process (test/fixtures/events-worker.ts) completes, retries and dead-letters jobs that a
 * {@link QueueEvents} listener in this process hears about; recovery of an expired lease is heard
 * as `job.stalled`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { JobEvent, JobEventName } from '../../src/core/job-event.js';
import { Queue } from '../../src/queue/queue.js';
import { QueueEvents } from '../../src/queue/queue-events.js';
import { Worker } from '../../src/queue/worker.js';
import type { Store } from '../../src/store/store.js';
import { postgresUrl, redisUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/events-worker.ts', import.meta.url));
const EVENT_NAMES: JobEventName[] = [
  'job.completed',
  'job.failed',
  'job.retried',
  'job.dead_lettered',
  'job.stalled',
  'job.progress',
];

/** How a case reaches the store under test. */
export interface EventStoreTarget {
  /** A fresh store on the target (each call a new instance, as another process would open). */
  open(): Promise<Store>;
  /** The EVENTS_STORE value for the worker process. */
  spec: string;
}

/** Records every job event a listener hears. */
export function record(listener: QueueEvents): JobEvent[] {
  const heard: JobEvent[] = [];
  for (const name of EVENT_NAMES) listener.on(name, (e) => heard.push({ event: name, ...e } as JobEvent));
  return heard;
}

function startWorker(spec: string, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl(),
      POSTGRES_URL: postgresUrl(),
      EVENTS_STORE: spec,
      EVENTS_QUEUE: queue,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited ${code} before it was ready`)));
  });
}

/** Registers the cases for `target`. */
export function jobEventCases(target: () => EventStoreTarget): void {
  it('a listener hears completions, retries and dead letters of a worker in another process', async () => {
    const { open, spec } = target();
    const store = await open();
    const listener = new QueueEvents('mail', { store });
    const heard = record(listener);
    await listener.ready;
    const worker = await startWorker(spec, 'mail');
    try {
      const queue = new Queue<Record<string, unknown>>('mail', { store });
      const ok = await queue.add('send', { progress: [25, { step: 'rendered', done: 2, of: 4 }] });
      const bad = await queue.add('send', { fail: 'permanent' });
      const flaky = await queue.add('send', { fail: 'retry' }, { maxAttempts: 2 });
      const of = (id: string) => heard.filter((e) => e.jobId === id).map((e) => e.event);
      await waitFor(
        'every outcome heard',
        () =>
          of(flaky.id).includes('job.dead_lettered') &&
          of(ok.id).includes('job.completed') &&
          of(bad.id).includes('job.dead_lettered'),
        { timeoutMs: 15_000 },
      );
      expect(of(ok.id)).toEqual(['job.progress', 'job.progress', 'job.completed']);
      expect(heard.filter((e) => e.event === 'job.progress').map((e) => e.progress)).toEqual([
        25,
        { step: 'rendered', done: 2, of: 4 },
      ]);
      expect(of(bad.id)).toEqual(['job.failed', 'job.dead_lettered']);
      expect(of(flaky.id)).toEqual(['job.failed', 'job.retried', 'job.failed', 'job.dead_lettered']);
      const failed = heard.find((e) => e.event === 'job.failed' && e.jobId === flaky.id);
      expect(failed).toMatchObject({
        queue: 'mail',
        name: 'send',
        attempt: 1,
        errorClass: 'Error',
        message: 'gateway timeout on attempt 1',
        willRetry: true,
      });
      const dead = heard.find((e) => e.event === 'job.dead_lettered' && e.jobId === bad.id);
      expect(dead).toMatchObject({ failureType: 'permanent' });
      expect((await store.getJob({ id: bad.id }))?.deadLetterId).toBe(
        (dead as { deadLetterId: string }).deadLetterId,
      );
    } finally {
      worker.kill('SIGTERM');
      const [code] = await once(worker, 'exit');
      expect(code).toBe(0);
      await listener.close();
      await store.close();
    }
  }, 30_000);

  it('a lease recovered by another process is heard as job.stalled', async () => {
    const { open } = target();
    const [listening, crashed, rescuing] = [await open(), await open(), await open()];
    const listener = new QueueEvents('reports', { store: listening });
    const heard = record(listener);
    await listener.ready;
    const now = Date.now();
    const [job] = await new Queue('reports', { store: crashed, clock: new FakeClock(now) }).addBulk([
      { name: 'render', payload: {} },
    ]);
    const claimed = await crashed.claimJobs({
      queue: 'reports',
      workerId: 'crashed',
      limit: 1,
      leaseMs: 1000,
      now,
      claimId: 'c1',
    });
    expect(claimed.map((c) => c.id)).toEqual([job!.id]);
    await crashed.close();
    const rescuer = new Worker('reports', () => undefined, {
      store: rescuing,
      autorun: false,
      maintenance: false,
      publishEvents: true,
      clock: new FakeClock(now + 60_000),
    });
    expect((await rescuer.recoverOrphans()).recovered).toEqual([job!.id]);
    await rescuer.close();
    const stalled = await waitFor('job.stalled heard', () => heard.find((e) => e.event === 'job.stalled'));
    expect(stalled).toMatchObject({
      queue: 'reports',
      jobId: job!.id,
      action: 'recovered',
      orphanedWhile: 'running',
    });
    await listener.close();
    await Promise.all([listening.close(), rescuing.close()]);
  });
}
