/**
 * Three worker processes share one PostgreSQL schema and are SIGKILLed at random (and restarted)
 * while they work: no job is lost (every job ends completed) and none is completed twice in the
 * store (a test trigger logs every transition to `completed`; each job appears exactly once).
 * Orphaned jobs come back through lease expiry and recovery sweeps, without spending an attempt.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { pause, waitFor } from '../support/wait.js';

const postgres = await postgresService();
const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/postgres-crash-worker.ts', import.meta.url));
const JOBS = 600;
const MAX_KILLS = 5;

/** A seeded generator, so that a failing run can be replayed with the same kill schedule. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.skipIf(!postgres.available)('PostgreSQL store under SIGKILL', () => {
  const schema = new PostgresTestSchema(postgres.url, 'crash');
  afterAll(() => schema.drop());

  async function startWorker(workerId: string) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER_SCRIPT, postgres.url, schema.schema, workerId],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    ) as ChildProcessWithoutNullStreams;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // A write to a process that just died fails with EPIPE: the test knows it died from its exit.
    child.stdin.on('error', () => undefined);
    const exited = once(child, 'exit');
    await waitFor(
      `worker ${workerId} to start (${stderr})`,
      () => stdout.includes('ready\n') || child.exitCode !== null,
      {
        timeoutMs: 60_000,
        stepMs: 20,
      },
    );
    if (!stdout.includes('ready\n'))
      throw new Error(`worker ${workerId} exited before it was ready: ${stderr}`);
    return { child, exited, stderr: () => stderr };
  }

  it('three processes killed at random lose no job and complete none twice', {
    timeout: 240_000,
  }, async () => {
    const store = await schema.freshStore();
    const s = `"${schema.schema}"`;
    await schema.pool.query(`
      CREATE TABLE ${s}.completion_log (job_id bigint NOT NULL, worker_id text);
      CREATE FUNCTION ${s}.log_completion() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO ${s}.completion_log VALUES (NEW.id, NEW.worker_id); RETURN NULL; END $$;
      CREATE TRIGGER log_completion AFTER UPDATE ON ${s}.jobs FOR EACH ROW
        WHEN (NEW.state = 'completed' AND OLD.state IS DISTINCT FROM 'completed')
        EXECUTE FUNCTION ${s}.log_completion();`);
    const random = seeded(Number(process.env.REDRIVE_CRASH_SEED ?? 16));
    const workers = await Promise.all(['w0', 'w1', 'w2'].map((id) => startWorker(id)));
    let generation = 0;
    let kills = 0;
    const restarting = new Set<number>();
    let tick = 0;
    try {
      const now = Date.now();
      const ids = (
        await store.insertJobs({
          jobs: Array.from({ length: JOBS }, (_, i) => ({
            queue: 'crash',
            name: 'work',
            payloadJson: JSON.stringify({ i }),
            priority: 1 as const,
            runAt: now,
            maxAttempts: 3,
            timeoutMs: null,
            backoff: null,
            idempotencyKey: null,
            replayOf: null,
          })),
          now,
        })
      ).map((r) => r.id);
      expect(ids).toHaveLength(JOBS);

      // The workers' handlers return after a few ticks of this loop (see the fixture): kills are
      // scheduled in ticks, so they land while work remains however fast the machine is.
      const deadline = Date.now() + 200_000;
      const ticksToNextKill = () => 10 + Math.floor(random() * 30);
      let nextKillAt = ticksToNextKill();
      for (;;) {
        const counts = await store.countJobs({ queue: 'crash' });
        if (counts.completed === JOBS) break;
        if (Date.now() > deadline) throw new Error(`not finished: ${JSON.stringify(counts)}`);
        // Kill while work remains (up to MAX_KILLS times, one at a time), restarting the victim each time.
        // A restart takes seconds on a busy machine: the others hold their jobs (no tick) meanwhile,
        // and their recovery sweeps return the victim's jobs.
        const victim = Math.floor(random() * workers.length);
        if (
          tick >= nextKillAt &&
          counts.waiting + counts.active > 0 &&
          restarting.size === 0 &&
          kills < MAX_KILLS
        ) {
          const w = workers[victim]!;
          w.child.kill('SIGKILL');
          await w.exited;
          kills++;
          restarting.add(victim);
          void startWorker(`w${victim}-${++generation}`).then(
            (fresh) => {
              workers[victim] = fresh;
              restarting.delete(victim);
            },
            () => restarting.delete(victim),
          );
          nextKillAt = tick + ticksToNextKill();
        }
        if (restarting.size === 0) {
          for (const w of workers) if (w.child.exitCode === null) w.child.stdin.write('tick\n');
          tick++;
        }
        await pause(20);
      }
    } finally {
      await waitFor('restarts to finish', () => restarting.size === 0, { timeoutMs: 60_000, stepMs: 50 });
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(await store.countJobs({ queue: 'crash' })).toEqual({
      scheduled: 0,
      waiting: 0,
      active: 0,
      completed: JOBS,
      dead_lettered: 0,
    });
    const log = await schema.pool.query<{ job_id: string; n: string }>(
      `SELECT job_id, count(*) AS n FROM ${s}.completion_log GROUP BY job_id`,
    );
    expect(log.rows).toHaveLength(JOBS);
    expect(log.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    // Killed attempts were recovered without spending an attempt: every job completed on its first counted one.
    const jobs = await store.listJobs({ queue: 'crash', limit: JOBS + 1 });
    expect(jobs.filter((j) => j.attemptsMade !== 1)).toEqual([]);
    // Orphaned beside others, never alone in quarantine: none counts towards maxOrphans.
    const orphaned = jobs.filter((j) => j.attempts.some((a) => a.outcome === 'orphaned')).length;
    expect(orphaned).toBeGreaterThan(0);
    await store.close();
  });
});
