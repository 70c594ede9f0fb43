/**
 * job.transaction under real crashes: worker processes insert one application row per job through
 * the job's transaction and SIGKILL themselves at seeded random jobs, before the transaction,
 * inside it (row written, not committed) or after its commit; each victim is restarted. At the
 * end every job is completed and each application row exists exactly once, on SQLite (the store on
 * the application's database) and on PostgreSQL.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewJob, Store } from '../../src/store/store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { pause, waitFor } from '../support/wait.js';

const postgres = await postgresService();
const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/transaction-crash-worker.ts', import.meta.url));
const JOBS = 150;
const POINTS = ['before', 'inside', 'after'] as const;
/** Kills per run: each point twice. */
const KILLS = 6;

/** A seeded generator, so that a failing run can be replayed with the same kill schedule. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Target {
  kind: 'sqlite' | 'postgres';
  where: string;
  schema: string;
  store: Store;
  /** Application rows per job id. */
  rowsPerJob(): Promise<Map<string, number>>;
}

async function runCrashes(target: Target): Promise<void> {
  const random = seeded(Number(process.env.REDRIVE_CRASH_SEED ?? 21));
  const now = Date.now();
  const jobs: NewJob[] = Array.from({ length: JOBS }, (_, i) => ({
    queue: 'tx',
    name: 'ship',
    payloadJson: JSON.stringify({ i }),
    priority: 1,
    runAt: now,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
  }));
  await target.store.insertJobs({ jobs, now });

  const died: string[] = [];
  let planned = 0;
  let generation = 0;
  const live = new Set<ChildProcessWithoutNullStreams>();
  const start = (): void => {
    // Each process dies at a random one of its first jobs, at the next point, until KILLS are planned.
    const kill = planned < KILLS;
    const point = POINTS[planned % POINTS.length]!;
    const killAt = kill ? 1 + Math.floor(random() * 12) : 0;
    if (kill) planned++;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        WORKER_SCRIPT,
        target.kind,
        target.where,
        target.schema,
        `w${++generation}`,
        String(killAt),
        point,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    ) as ChildProcessWithoutNullStreams;
    live.add(child);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/dying (\w+)/g)) died.push(m[1]!);
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    void once(child, 'exit').then(([code, signal]) => {
      live.delete(child);
      if (signal !== 'SIGKILL') throw new Error(`worker exited with ${code}: ${stderr}`);
      if (!stopping) start();
    });
  };
  let stopping = false;
  start();
  start();
  try {
    await waitFor(
      `every job completed (kills so far: ${died.join(', ')})`,
      async () => (await target.store.countJobs({ queue: 'tx' })).completed === JOBS,
      { timeoutMs: 150_000, stepMs: 50 },
    );
  } finally {
    stopping = true;
    const exits = [...live].map((child) => once(child, 'exit'));
    for (const child of live) child.kill('SIGKILL');
    await Promise.all(exits);
  }
  // Every kill point was reached, each as planned.
  expect([...died].sort()).toEqual(['after', 'after', 'before', 'before', 'inside', 'inside']);
  expect(await target.store.countJobs({ queue: 'tx' })).toMatchObject({
    waiting: 0,
    active: 0,
    scheduled: 0,
    completed: JOBS,
    dead_lettered: 0,
  });
  const rows = await target.rowsPerJob();
  expect(rows.size).toBe(JOBS);
  expect([...rows].filter(([, n]) => n !== 1)).toEqual([]);
  // Killed attempts were recovered without spending an attempt.
  const stored = await target.store.listJobs({ queue: 'tx', limit: JOBS + 1 });
  expect(stored.filter((j) => j.attemptsMade !== 1)).toEqual([]);
  await pause(1);
}

describe('job.transaction under SIGKILL', () => {
  it('SQLite on the application database: every job completed, every row once', {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redrive-tx-crash-'));
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.exec('CREATE TABLE shipments (job_id TEXT NOT NULL, worker TEXT NOT NULL)');
    const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
    try {
      await runCrashes({
        kind: 'sqlite',
        where: path,
        schema: '-',
        store,
        rowsPerJob: async () =>
          new Map(
            (
              db.prepare('SELECT job_id, count(*) AS n FROM shipments GROUP BY job_id').all() as {
                job_id: string;
                n: number;
              }[]
            ).map((r) => [r.job_id, r.n]),
          ),
      });
    } finally {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!postgres.available)('PostgreSQL', () => {
    const schema = new PostgresTestSchema(postgres.url, 'txcrash');
    afterAll(() => schema.drop());

    it('every job completed, every row once', { timeout: 180_000 }, async () => {
      const store: PostgresStore = await schema.freshStore();
      const table = `"${schema.schema}".shipments`;
      await schema.pool.query(`CREATE TABLE ${table} (job_id text NOT NULL, worker text NOT NULL)`);
      try {
        await runCrashes({
          kind: 'postgres',
          where: postgres.url,
          schema: schema.schema,
          store,
          rowsPerJob: async () =>
            new Map(
              (
                await schema.pool.query<{ job_id: string; n: string }>(
                  `SELECT job_id, count(*) AS n FROM ${table} GROUP BY job_id`,
                )
              ).rows.map((r) => [r.job_id, Number(r.n)]),
            ),
        });
      } finally {
        await store.close();
      }
    });
  });
});
