/**
 * A chaos run: worker processes on a store, jobs enqueued while a seeded schedule SIGKILLs random
 * workers (and restarts them) and, with a proxy, cuts their store connections; then the store is
 * checked (verify.ts). The same seed replays the same schedule of kills and cuts.
 */
import { type Clock, createSeededRandom, type Random, systemClock } from '../../core/clock.js';
import { Queue } from '../../queue/queue.js';
import { openStore, parseStoreUrl } from '../store-url.js';
import { type ChaosReport, type ChaosRunOptions, resolveChaosOptions } from './chaos-options.js';
import { RecoveryTracker } from './recovery-tracker.js';
import { startStoreProxy } from './store-proxy.js';
import type { TcpProxy } from './tcp-proxy.js';
import { sqliteIntegrity, verifyChaosRun } from './verify.js';
import type { ChaosPayload, ChaosWorkerConfig } from './worker-process.js';
import { type ChaosWorkerHandle, spawnChaosWorker } from './worker-spawn.js';

/** Jobs per enqueue call. */
const ENQUEUE_BATCH = 1000;
/** How often the run looks at the store and its schedule. */
const TICK_MS = 50;

const pause = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** Runs the chaos scenario described by `options` and returns its report. */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosReport> {
  const o = resolveChaosOptions(options);
  const clock = o.clock ?? systemClock;
  const log = o.onProgress ?? (() => undefined);
  // Two streams: the enqueue runs beside the schedule, and must not shift its draws.
  const random: Random = createSeededRandom(o.seed);
  const failDraws: Random = createSeededRandom(o.seed ^ 0x5bd1e995);
  const location = parseStoreUrl(o.storeUrl);
  let proxy: TcpProxy | undefined;
  let workerUrl = o.storeUrl;
  // Before the store is opened: a store --proxy cannot stand in front of is refused with nothing open.
  if (o.proxy) ({ proxy, url: workerUrl } = await startStoreProxy(location));
  const store = openStore(location);
  const queueName = `chaos-${o.seed}-${clock.now().toString(36)}`;
  const tracker = new RecoveryTracker();
  const startedAt = clock.now();

  let generation = 0;
  const startWorker = (slot: number): ChaosWorkerHandle => {
    const config: ChaosWorkerConfig = {
      storeUrl: workerUrl,
      queue: queueName,
      workerId: `w${slot}-${generation++}`,
      concurrency: o.concurrency,
      leaseMs: o.leaseMs,
      heartbeatMs: o.heartbeatMs,
      recoveryIntervalMs: o.recoveryIntervalMs,
      jobMs: o.jobMs,
    };
    return spawnChaosWorker(config, (message, id) => tracker.record(message, id));
  };

  const jobIds: string[] = [];
  const failing = new Set<string>();
  const workers: ChaosWorkerHandle[] = [];
  const restarts = new Set<Promise<void>>();
  let kills = 0;
  let cuts = 0;
  const cutWindows: { from: number; to: number }[] = [];
  let finished = false;
  try {
    // The schema exists before the workers open the store.
    const queue = new Queue<ChaosPayload>(queueName, { store, clock });
    await queue.getCounts();
    for (let slot = 0; slot < o.workers; slot++) workers.push(startWorker(slot));
    await Promise.all(workers.map((w) => w.ready));
    log(`${o.workers} workers ready on ${location.url}; enqueuing ${o.jobs} jobs (seed ${o.seed})`);

    const enqueued = (async () => {
      for (let n = 0; n < o.jobs; n += ENQUEUE_BATCH) {
        const batch = Array.from({ length: Math.min(ENQUEUE_BATCH, o.jobs - n) }, (_, i) => ({
          name: 'chaos',
          payload: { n: n + i, fail: failDraws.next() < o.failRate },
        }));
        const added = await queue.addBulk(batch);
        added.forEach((job, i) => {
          jobIds.push(job.id);
          if (batch[i]!.payload.fail) failing.add(job.id);
        });
      }
    })();
    let enqueueDone = false;
    let enqueueError: unknown;
    enqueued.then(
      () => {
        enqueueDone = true;
      },
      (error: unknown) => {
        enqueueDone = true;
        enqueueError = error;
      },
    );

    const deadline = startedAt + o.timeoutMs;
    const gap = () => o.minGapMs + random.next() * o.minGapMs * 3;
    let nextKillAt = clock.now() + gap();
    let nextCutAt = clock.now() + gap();
    for (;;) {
      await pause(clock, TICK_MS);
      if (enqueueError !== undefined) throw enqueueError;
      const counts = await store.countJobs({ queue: queueName });
      if (enqueueDone && counts.completed + counts.dead_lettered >= o.jobs) {
        finished = true;
        break;
      }
      const now = clock.now();
      if (now > deadline) {
        log(`timed out after ${Math.round((now - startedAt) / 1000)} s: ${JSON.stringify(counts)}`);
        break;
      }
      const workLeft = !enqueueDone || counts.waiting + counts.active + counts.scheduled > 0;
      if (workLeft && kills < o.kills && restarts.size === 0 && now >= nextKillAt) {
        const slot = Math.floor(random.next() * workers.length);
        const victim = workers[slot]!;
        await victim.kill();
        const orphans = tracker.killed(victim.workerId, clock.now());
        kills++;
        log(`kill ${kills}/${o.kills}: SIGKILL ${victim.workerId} (running ${orphans} jobs)`);
        const fresh = startWorker(slot);
        const restart = fresh.ready.then(
          () => {
            workers[slot] = fresh;
          },
          (error: Error) => log(`restart of slot ${slot} failed: ${error.message}`),
        );
        restarts.add(restart);
        void restart.finally(() => restarts.delete(restart));
        nextKillAt = clock.now() + gap();
      }
      if (proxy && workLeft && cuts < o.cuts && now >= nextCutAt) {
        const mode = random.next() < 0.5 ? 'reset' : 'blackhole';
        const cutMs = Math.round(o.heartbeatMs + random.next() * o.leaseMs);
        cuts++;
        log(`cut ${cuts}/${o.cuts}: ${mode} for ${cutMs} ms`);
        const from = clock.now();
        proxy.setMode(mode);
        await pause(clock, cutMs);
        proxy.setMode('pass');
        cutWindows.push({ from, to: clock.now() });
        nextCutAt = clock.now() + gap();
      }
    }
  } finally {
    await Promise.allSettled([...restarts]);
    await Promise.all(workers.map((w) => w.stop(o.leaseMs * 5)));
    await proxy?.close();
  }
  let verdict: Awaited<ReturnType<typeof verifyChaosRun>>;
  try {
    verdict = await verifyChaosRun(store, {
      queue: queueName,
      jobIds,
      failing,
      completionReports: tracker.completionReports(),
    });
  } finally {
    await store.close();
  }
  const integrity = location.kind === 'sqlite' ? sqliteIntegrity(location.path) : undefined;
  const reports = tracker.summary(cutWindows);
  const boundMs = o.leaseMs + o.heartbeatMs;
  const problems: string[] = [];
  if (jobIds.length !== o.jobs) problems.push(`enqueued ${jobIds.length} of ${o.jobs} jobs`);
  if (!finished) problems.push('the jobs did not finish before the timeout');
  if (verdict.lost.length > 0) problems.push(`${verdict.lost.length} jobs lost`);
  if (verdict.completedTwice.length > 0)
    problems.push(`${verdict.completedTwice.length} jobs completed twice`);
  if (verdict.deadLetterMismatch.length > 0)
    problems.push(`${verdict.deadLetterMismatch.length} jobs without exactly one dead letter`);
  if (verdict.failingCompleted.length > 0)
    problems.push(`${verdict.failingCompleted.length} jobs meant to fail completed`);
  const bounded = reports.recoveredOutsideCuts;
  if (bounded.maxMs !== null && bounded.maxMs > boundMs)
    problems.push(`an orphan took ${bounded.maxMs} ms to be recovered (bound ${boundMs} ms)`);
  if (integrity !== undefined && integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
  return {
    ok: problems.length === 0,
    problems,
    store: location.url,
    kind: location.kind,
    queue: queueName,
    seed: o.seed,
    jobs: o.jobs,
    workers: o.workers,
    kills,
    cuts,
    seconds: Math.round((clock.now() - startedAt) / 100) / 10,
    completed: verdict.completed,
    deadLettered: verdict.deadLettered,
    failingByDesign: failing.size,
    poisonPills: verdict.poisonPills,
    lost: verdict.lost.length,
    completedTwice: verdict.completedTwice.length,
    deadLetterMismatch: verdict.deadLetterMismatch.length,
    executions: reports.executions,
    reExecutions: reports.reExecutions,
    recovered: reports.recovered,
    recoveredOutsideCuts: reports.recoveredOutsideCuts,
    rerun: reports.rerun,
    boundMs,
    ...(integrity === undefined ? {} : { integrity }),
    lostSample: verdict.lost.slice(0, 10),
    workerErrors: reports.workerErrors,
  };
}
