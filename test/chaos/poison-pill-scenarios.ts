/**
 * A poison pill must not take innocent jobs down with it: real worker processes (concurrency 4,
 * prefetch on, default `maxOrphans`) on one store, restarted whenever they die, run jobs of which
 * some kill their process (`process.exit(1)`) or block its event loop past the lease. Only those
 * end dead-lettered as poison pills; every other job completes. Crashes that are not a job's fault
 * (SIGKILL at random moments) dead-letter nothing. The same scenarios run on every store (one test
 * file per store calls {@link runPoisonPillScenarios}).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Worker } from '../../src/queue/worker.js';
import type { Store } from '../../src/store/store.js';
import type { PoisonStoreSpec } from '../fixtures/poison-worker.js';
import { pause, waitFor } from '../support/wait.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/poison-worker.ts', import.meta.url));
const QUEUE = 'poison';
/** Process starts take seconds on a busy machine; every scenario is bounded by this. */
const SCENARIO_TIMEOUT_MS = 240_000;

type Kind = 'ok' | 'poison' | 'block';

/** An empty store for one scenario, the spec its worker processes open it with, and its clean-up. */
export interface PoisonStoreSetup {
  store: Store;
  spec: PoisonStoreSpec;
  cleanup(): Promise<void>;
}

/**
 * Declares the scenarios for one store. `open` gives an empty store for each scenario (`dir` is
 * the scenario's scratch directory, for a store that keeps files).
 */
export function runPoisonPillScenarios(
  label: string,
  open: (dir: string) => Promise<PoisonStoreSetup>,
): void {
  let dir: string;
  let store: Store;
  let setup: PoisonStoreSetup;
  const children = new Set<ChildProcessWithoutNullStreams>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redrive-poison-'));
    setup = await open(dir);
    store = setup.store;
  });
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([...children].map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    children.clear();
    await setup.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A seeded generator, so that a failing run can be replayed with the same schedule. */
  function seeded(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  async function enqueue(kinds: Kind[], delayMs = 0): Promise<string[]> {
    const now = Date.now();
    const results = await store.insertJobs({
      jobs: kinds.map((kind, i) => ({
        queue: QUEUE,
        name: kind,
        payloadJson: JSON.stringify({ i, kind, delayMs }),
        priority: 1 as const,
        runAt: now,
        maxAttempts: 3,
        timeoutMs: null,
        backoff: null,
        idempotencyKey: null,
        replayOf: null,
      })),
      now,
    });
    return results.map((r) => r.id);
  }

  /** Starts a worker process and waits until it runs. */
  async function startWorker(): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<unknown> }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER_SCRIPT, JSON.stringify(setup.spec), dir],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    ) as ChildProcessWithoutNullStreams;
    children.add(child);
    const exited = once(child, 'exit').then(() => children.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    await waitFor(
      `the worker to start (${stderr})`,
      () => stdout.includes('ready\n') || child.exitCode !== null,
      {
        timeoutMs: 60_000,
        stepMs: 20,
      },
    );
    return { child, exited };
  }

  /**
   * Runs worker processes (one at a time, restarted whenever one dies) until every job is completed
   * or dead-lettered; `tick` runs between polls. Returns the number of processes started.
   */
  async function runToTheEnd(
    total: number,
    tick: (worker: { child: ChildProcessWithoutNullStreams }) => Promise<void> = async () => undefined,
  ) {
    let worker = await startWorker();
    let starts = 1;
    const deadline = Date.now() + SCENARIO_TIMEOUT_MS - 20_000;
    for (;;) {
      const counts = await store.countJobs({ queue: QUEUE });
      if (counts.completed + counts.dead_lettered === total) break;
      if (Date.now() > deadline) throw new Error(`not finished: ${JSON.stringify(counts)}`);
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        worker = await startWorker();
        starts++;
      }
      await tick(worker);
      await pause(20);
    }
    worker.child.kill('SIGKILL');
    await worker.exited;
    return starts;
  }

  async function poisonDeadLetters() {
    const page = await store.listDeadLetters({ limit: 100 });
    return page.items;
  }

  describe(`poison pills among innocent jobs (real processes, ${label})`, () => {
    for (const [label, delayMs] of [
      ['instant', 0],
      ['slow (5 ms)', 5],
    ] as const) {
      it(`one poison among 200 ${label} jobs: exactly one dead letter, 199 completed`, {
        timeout: SCENARIO_TIMEOUT_MS,
      }, async () => {
        const kinds: Kind[] = Array.from({ length: 200 }, (_, i) => (i === 57 ? 'poison' : 'ok'));
        const ids = await enqueue(kinds, delayMs);
        const starts = await runToTheEnd(200);

        expect(await store.countJobs({ queue: QUEUE })).toMatchObject({ completed: 199, dead_lettered: 1 });
        const [dl, ...others] = await poisonDeadLetters();
        expect(others).toEqual([]);
        expect(dl).toMatchObject({
          jobId: ids[57],
          failureType: 'poison_pill',
          errorClass: 'PoisonPillError',
        });
        // Once beside others (a suspect), then three times alone in quarantine: four deaths.
        expect(dl!.attempts.map((a) => a.orphanedWhile)).toEqual([
          'running',
          'quarantine',
          'quarantine',
          'quarantine',
        ]);
        expect(starts).toBe(5);
      });
    }

    it('two poisons among 200: exactly those two dead-lettered', {
      timeout: SCENARIO_TIMEOUT_MS,
    }, async () => {
      const kinds: Kind[] = Array.from({ length: 200 }, (_, i) => (i === 30 || i === 140 ? 'poison' : 'ok'));
      const ids = await enqueue(kinds, 1);
      await runToTheEnd(200);

      expect(await store.countJobs({ queue: QUEUE })).toMatchObject({ completed: 198, dead_lettered: 2 });
      const dead = await poisonDeadLetters();
      expect(new Set(dead.map((d) => d.jobId))).toEqual(new Set([ids[30], ids[140]]));
      for (const dl of dead) {
        expect(dl.failureType).toBe('poison_pill');
        expect(dl.attempts.filter((a) => a.orphanedWhile === 'quarantine')).toHaveLength(3);
      }
    });

    it('a job that blocks the event loop past the lease, every time: only it ends as a poison pill', {
      timeout: SCENARIO_TIMEOUT_MS,
    }, async () => {
      const kinds: Kind[] = Array.from({ length: 200 }, (_, i) => (i === 20 ? 'block' : 'ok'));
      const ids = await enqueue(kinds, 2);
      // The blocked process cannot sweep: this process does (as another worker would), and lets the
      // blocked handler return once its job was taken away.
      const sweeper = new Worker(QUEUE, async () => undefined, { store, autorun: false });
      const released = new Set<string>();
      let blocks = 0;
      const starts = await runToTheEnd(200, async () => {
        const { recovered, deadLettered } = await sweeper.recoverOrphans();
        const taken = new Set([...recovered, ...deadLettered]);
        for (const marker of readdirSync(dir).filter((f) => f.startsWith('blocking-'))) {
          const name = marker.slice('blocking-'.length);
          if (released.has(name) || !taken.has(name.split('-')[0]!)) continue;
          released.add(name);
          blocks++;
          writeFileSync(join(dir, `release-${name}`), '');
        }
      });

      expect(starts).toBe(1);
      expect(blocks).toBe(4);
      expect(await store.countJobs({ queue: QUEUE })).toMatchObject({ completed: 199, dead_lettered: 1 });
      const [dl, ...others] = await poisonDeadLetters();
      expect(others).toEqual([]);
      expect(dl).toMatchObject({ jobId: ids[20], failureType: 'poison_pill' });
      expect(dl!.attempts.map((a) => a.orphanedWhile)).toEqual([
        'running',
        'quarantine',
        'quarantine',
        'quarantine',
      ]);
    });

    it('a worker SIGKILLed at random moments five times: no dead letter with the default maxOrphans', {
      timeout: SCENARIO_TIMEOUT_MS,
    }, async () => {
      const total = 600;
      await enqueue(
        Array.from({ length: total }, () => 'ok'),
        20,
      );
      const random = seeded(Number(process.env.REDRIVE_POISON_SEED ?? 9));
      let kills = 0;
      let killAt = 0;
      let victim: ChildProcessWithoutNullStreams | undefined;
      await runToTheEnd(total, async ({ child }) => {
        if (kills >= 5) return;
        if (child !== victim) {
          // A fresh process: kill it at a random moment of its work.
          victim = child;
          killAt = Date.now() + 100 + random() * 400;
        } else if (Date.now() >= killAt && child.exitCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit');
          kills++;
        }
      });

      expect(kills).toBe(5);
      expect(await store.countJobs({ queue: QUEUE })).toMatchObject({ completed: total, dead_lettered: 0 });
      expect(await poisonDeadLetters()).toEqual([]);
      const jobs = await store.listJobs({ queue: QUEUE, limit: total });
      expect(jobs.filter((j) => j.attempts.some((a) => a.outcome === 'orphaned')).length).toBeGreaterThan(0);
    });
  });
}
