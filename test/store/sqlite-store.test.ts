/**
 * What only the SQLite store has to prove: several processes sharing one file, damaged and
 * read-only files, unusable paths, and enqueueing inside the application's own transaction.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewJob } from '../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1);
const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/sqlite-claim-worker.ts', import.meta.url));

function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    queue: 'q',
    name: 'job',
    payloadJson: '{}',
    priority: 1,
    runAt: T0,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
    ...overrides,
  };
}

/** Expects `fn` to throw a StoreUnavailableError whose message names the path and matches `pattern`. */
function expectStoreUnavailable(error: unknown, path: string, pattern: RegExp): void {
  expect(error).toBeInstanceOf(StoreUnavailableError);
  const e = error as StoreUnavailableError;
  expect(e.code).toBe('STORE_UNAVAILABLE');
  expect(e.status).toBe(503);
  expect(e.message).toContain(path);
  expect(e.message).toMatch(pattern);
  // The native error is kept as the cause, not shown as the message.
  expect(e.message).not.toMatch(/SqliteError|\n\s+at /);
  expect(e.message.split('\n')).toHaveLength(1);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function catchAsync(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redrive-sqlite-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface WorkerReport {
  workerId: string;
  claims: number;
  completed: string[];
  refused: string[];
  errors: { name: string; code: unknown; message: string }[];
}

/** Starts a worker process and resolves once it opened the store and waits for "go". */
async function startWorker(path: string, workerId: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, path, workerId, String(T0)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  while (!stdout.includes('ready\n')) {
    const [event] = await Promise.race([once(child.stdout, 'data').then(() => ['data']), exited]);
    if (event !== 'data') throw new Error(`worker ${workerId} exited before it was ready: ${stderr}`);
  }
  return {
    go: () => child.stdin.write('go\n'),
    /** Resolves when the worker holds its first claim (or has exited, which report() explains). */
    async claimed(): Promise<void> {
      while (!stdout.includes('claimed\n')) {
        const [event] = await Promise.race([once(child.stdout, 'data').then(() => ['data']), exited]);
        if (event !== 'data') return;
      }
    },
    releaseFirstClaim: () => child.stdin.write('all\n'),
    async report(): Promise<WorkerReport> {
      const [code] = await exited;
      if (code !== 0) throw new Error(`worker ${workerId} exited with ${code}: ${stderr}`);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`worker ${workerId} printed no report: ${stdout} ${stderr}`);
      return JSON.parse(line) as WorkerReport;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

describe('SqliteStore shared by several processes', () => {
  it('three processes claim and complete from one file: every job completed exactly once, never "locked"', async () => {
    const path = join(dir, 'shared.sqlite');
    const store = new SqliteStore({ path, pollIntervalMs: 0 });
    const jobs = Array.from({ length: 600 }, (_, i) => job({ queue: 'shared', payloadJson: String(i) }));
    const ids = (await store.insertJobs({ jobs, now: T0 })).map((r) => r.id);

    const workers = await Promise.all(['p1', 'p2', 'p3'].map((id) => startWorker(path, id)));
    let reports: WorkerReport[];
    try {
      for (const w of workers) w.go();
      // Each holds its first claim until all three hold one: the processes overlap for certain.
      await Promise.all(workers.map((w) => w.claimed()));
      for (const w of workers) w.releaseFirstClaim();
      reports = await Promise.all(workers.map((w) => w.report()));
    } finally {
      for (const w of workers) w.kill();
    }

    for (const r of reports) {
      expect(r.errors, `errors seen by ${r.workerId}`).toEqual([]);
      expect(r.refused, `refused completions of ${r.workerId}`).toEqual([]);
    }
    const all = reports.flatMap((r) => r.completed);
    expect(all).toHaveLength(ids.length);
    expect(new Set(all)).toEqual(new Set(ids));
    // The work was really shared, i.e. the processes ran concurrently against the one file.
    expect(reports.filter((r) => r.completed.length > 0).length).toBe(3);

    expect(await store.countJobs({ queue: 'shared' })).toEqual({
      scheduled: 0,
      waiting: 0,
      active: 0,
      completed: 600,
      dead_lettered: 0,
    });
    const byWorker = new Map(reports.flatMap((r) => r.completed.map((id) => [id, r.workerId] as const)));
    for (const stored of await store.listJobs({ queue: 'shared', limit: 1000 })) {
      expect(stored.attemptsMade).toBe(1);
      expect(stored.result).toBe(byWorker.get(stored.id));
    }
    expect(store.integrityCheck()).toEqual(['ok']);
    await store.close();
  }, 60_000);
});

describe('SqliteStore on damaged files and unusable paths', () => {
  it('a file of garbage bytes gives a StoreUnavailableError at construction', () => {
    const path = join(dir, 'garbage.sqlite');
    return writeFile(path, Buffer.alloc(16_384, 0x5a)).then(() => {
      const error = catchError(() => new SqliteStore({ path }));
      expectStoreUnavailable(error, path, /not a SQLite database/);
      expect((error as StoreUnavailableError).details).toMatchObject({ sqliteCode: 'SQLITE_NOTADB', path });
      expect((error as Error).cause).toBeDefined();
    });
  });

  it('a text file gives the same clear error', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'these are my notes, not a database\n'.repeat(200));
    expectStoreUnavailable(
      catchError(() => new SqliteStore({ path })),
      path,
      /not a SQLite database/,
    );
  });

  it('a path below a regular file gives a clear error', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    for (const path of [join(file, 'x', 'db.sqlite'), join(file, 'db.sqlite')]) {
      expectStoreUnavailable(
        catchError(() => new SqliteStore({ path })),
        path,
        /is a file, not a directory|exists and is not a directory/,
      );
    }
  });

  it('a directory where the file should be gives a clear error', () => {
    expectStoreUnavailable(
      catchError(() => new SqliteStore({ path: dir })),
      dir,
      /cannot be opened/,
    );
  });
});

describe('SqliteStore while another connection holds the write lock', () => {
  it('waits up to busyTimeoutMs, then fails the write with a clear SQLITE_BUSY error, and works once the lock is free', async () => {
    const path = join(dir, 'busy.sqlite');
    const store = new SqliteStore({ path, pollIntervalMs: 0, busyTimeoutMs: 20 });
    await store.insertJobs({ jobs: [job()], now: T0 });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      const insert = await catchAsync(store.insertJobs({ jobs: [job()], now: T0 }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(15);
      expectStoreUnavailable(insert, path, /locked by another connection longer than busy_timeout/);
      expect((insert as StoreUnavailableError).details).toMatchObject({ sqliteCode: 'SQLITE_BUSY' });
      const claim = await catchAsync(
        store.claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c1' }),
      );
      expectStoreUnavailable(claim, path, /SQLITE_BUSY/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Nothing of the refused calls was applied, and the store needs nothing to carry on.
    expect(await store.countJobs({})).toMatchObject({ waiting: 1, active: 0 });
    expect((await store.insertJobs({ jobs: [job()], now: T0 }))[0]?.created).toBe(true);
    expect(store.integrityCheck()).toEqual(['ok']);
    await store.close();
  });
});

describe('SqliteStore on a read-only database', () => {
  it('refuses writes with a clear error and leaves the file intact', async () => {
    const path = join(dir, 'ro.sqlite');
    const writer = new SqliteStore({ path, pollIntervalMs: 0 });
    const [{ id } = { id: '' }] = await writer.insertJobs({
      jobs: [job({ payloadJson: '"keep"' })],
      now: T0,
    });
    await writer.close();

    const readonly = new Database(path, { readonly: true });
    const store = new SqliteStore({ database: readonly, pollIntervalMs: 0 });
    expectStoreUnavailable(await catchAsync(store.insertJobs({ jobs: [job()], now: T0 })), path, /read-only/);
    expectStoreUnavailable(
      await catchAsync(
        store.claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c1' }),
      ),
      path,
      /read-only/,
    );
    // Reads still work and nothing changed.
    expect(await store.getJob({ id })).toMatchObject({ state: 'waiting', payload: 'keep' });
    expect(await store.countJobs({})).toMatchObject({ waiting: 1, active: 0 });
    expect(store.integrityCheck()).toEqual(['ok']);
    await store.close();
    expect(readonly.open).toBe(true);
    readonly.close();

    const check = new Database(path);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    const reopened = new SqliteStore({ path, pollIntervalMs: 0 });
    expect((await reopened.insertJobs({ jobs: [job()], now: T0 }))[0]?.created).toBe(true);
    expect((await reopened.countJobs({})).waiting).toBe(2);
    await reopened.close();
  });
});

describe("SqliteStore on the application's own connection (transactional enqueue)", () => {
  it('a job inserted inside the application transaction exists if and only if it commits', async () => {
    const path = join(dir, 'app.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)');
    const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
    expect(store.capabilities.transactionalEnqueue).toBe(true);
    const insertOrder = db.prepare('INSERT INTO orders (total) VALUES (?)');

    // Rolled back: the order and the job both vanish. (This is the first use of the queue.)
    let rolledBackId = '';
    expect(() =>
      db.transaction(() => {
        insertOrder.run(10);
        const [result] = store.insertJobsSync({
          jobs: [job({ queue: 'emails', payloadJson: '{"order":10}' })],
          now: T0,
        });
        rolledBackId = result!.id;
        expect(result!.created).toBe(true);
        throw new Error('payment failed');
      })(),
    ).toThrow('payment failed');
    expect(rolledBackId).not.toBe('');
    expect(await store.getJob({ id: rolledBackId })).toBeNull();
    expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(0);
    expect(await store.countJobs({ queue: 'emails' })).toMatchObject({ waiting: 0 });

    // Committed: both exist.
    const committedId = db.transaction(() => {
      insertOrder.run(20);
      const [keyed, plain] = store.insertJobsSync({
        jobs: [
          job({ queue: 'emails', payloadJson: '{"order":20}', idempotencyKey: 'order-20' }),
          job({ queue: 'emails', payloadJson: '{"order":20,"copy":true}' }),
        ],
        now: T0,
      });
      expect(plain!.created).toBe(true);
      return keyed!.id;
    })();
    expect(await store.getJob({ id: committedId })).toMatchObject({
      queue: 'emails',
      payload: { order: 20 },
      state: 'waiting',
    });
    expect(db.prepare('SELECT total FROM orders').pluck().all()).toEqual([20]);
    expect((await store.countJobs({ queue: 'emails' })).waiting).toBe(2);

    // The rolled-back first use left no stale trace: the queue is listed and claimable.
    expect((await store.listQueues()).map((q) => q.name)).toEqual(['emails']);
    const claimed = await store.claimJobs({
      queue: 'emails',
      workerId: 'w',
      limit: 10,
      leaseMs: 1000,
      now: T0,
      claimId: 'c1',
    });
    expect(claimed).toHaveLength(2);

    // A nested savepoint that rolls back takes its jobs with it; the outer transaction keeps its own.
    const outer = db.transaction(() => {
      const [kept] = store.insertJobsSync({ jobs: [job({ queue: 'emails' })], now: T0 });
      const inner = db.transaction(() => {
        store.insertJobsSync({ jobs: [job({ queue: 'emails' })], now: T0 });
        throw new Error('inner');
      });
      expect(() => inner()).toThrow('inner');
      return kept!.id;
    });
    const keptId = outer();
    expect(await store.getJob({ id: keptId })).toMatchObject({ state: 'waiting' });
    expect((await store.countJobs({ queue: 'emails' })).waiting).toBe(1);

    await store.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('a job inserted outside any transaction commits at once', async () => {
    const db = new Database(join(dir, 'app2.sqlite'));
    const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
    const [result] = store.insertJobsSync({ jobs: [job()], now: T0 });
    const other = new SqliteStore({ path: join(dir, 'app2.sqlite'), pollIntervalMs: 0 });
    expect(await other.getJob({ id: result!.id })).toMatchObject({ state: 'waiting' });
    await other.close();
    await store.close();
    db.close();
  });
});

describe('SqliteStore on a full disk', () => {
  it('refuses the write that does not fit with a clear error, keeps what committed, and stays consistent', async () => {
    const path = join(dir, 'full.sqlite');
    const db = new Database(path);
    const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
    await store.insertJobs({ jobs: [job({ payloadJson: '"before"' })], now: T0 });
    // Cap the file at its current size plus a little: the next large batch cannot fit, as on a full disk.
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    const big = JSON.stringify('x'.repeat(4000));
    const error = await catchAsync(
      store.insertJobs({ jobs: Array.from({ length: 50 }, () => job({ payloadJson: big })), now: T0 }),
    );
    expectStoreUnavailable(error, path, /disk is full/);
    // The failed batch left nothing behind; earlier data and the file are intact.
    expect(await store.countJobs({})).toMatchObject({ waiting: 1 });
    expect(store.integrityCheck()).toEqual(['ok']);
    // Once space is back, writes succeed again.
    db.pragma('max_page_count = 1073741823');
    expect((await store.insertJobs({ jobs: [job()], now: T0 }))[0]?.created).toBe(true);
    await store.close();
    db.close();
  });
});
