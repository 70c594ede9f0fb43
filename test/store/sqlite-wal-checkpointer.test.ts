/**
 * WAL checkpoints on their own thread (wal-checkpointer.ts): a busy store's WAL is copied back
 * into the database file by the thread, not by its commits; a store whose WAL stays under SQLite's
 * threshold never starts it; a store that only writes dead letters starts it as well; closing stops the thread first, so the store's close still removes the WAL; a thread
 * that cannot work hands checkpoints back to the commits; `walCheckpoint: 'commit'` keeps SQLite's
 * default.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import {
  CHECK_EVERY_WRITES,
  SAFETY_NET_PAGES,
  START_AT_WAL_PAGES,
  WalCheckpointer,
} from '../../src/store/sqlite/wal-checkpointer.js';
import { waitFor } from '../support/wait.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;
const open: Database.Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-wal-checkpointer-'));
  return join(dir, 'jobs.db');
}

function walDatabase(path: string): Database.Database {
  const db = new Database(path);
  open.push(db);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  return db;
}

/**
 * The WAL's last frame and how many frames were copied into the database file, read from the
 * shared-memory index (little-endian on the machines this runs on) without checkpointing anything.
 */
function walProgress(path: string): { frames: number; copied: number } {
  const shm = readFileSync(`${path}-shm`);
  return { frames: shm.readUInt32LE(16), copied: shm.readUInt32LE(96) };
}

function commitWrites(db: Database.Database, checkpointer: WalCheckpointer, count: number): void {
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < count; i++) {
    insert.run('x'.repeat(3000));
    checkpointer.noteWrite();
  }
}

/** The WAL file's size in bytes (0 when there is none). */
function walBytes(path: string): number {
  return existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
}

/** SQLite's threshold as a WAL file size: the pages and their frame headers. */
const START_BYTES = START_AT_WAL_PAGES * 4096;

/** Commits one write at a time until the thread starts; returns the commits made before and after the WAL file reached the threshold. */
function writeUntilRunning(
  db: Database.Database,
  checkpointer: WalCheckpointer,
): { before: number; after: number } {
  let before = 0;
  let after = 0;
  while (!checkpointer.running && before + after < 5 * START_AT_WAL_PAGES) {
    commitWrites(db, checkpointer, 1);
    if (walBytes(path(db)) >= START_BYTES) after++;
    else before++;
  }
  return { before, after };
}

function path(db: Database.Database): string {
  return db.name;
}

it('starts once the WAL file reaches SQLite’s threshold, raises the commits’ threshold, and copies the WAL on its thread', async () => {
  const file = freshPath();
  const db = walDatabase(file);
  const checkpointer = new WalCheckpointer(db, file, 'NORMAL');
  const { before, after } = writeUntilRunning(db, checkpointer);
  // Not while the WAL stayed small; within one look at its size after it grew.
  expect(before).toBeGreaterThan(100);
  expect(after).toBeGreaterThan(0);
  expect(after).toBeLessThanOrEqual(CHECK_EVERY_WRITES);
  expect(checkpointer.running).toBe(true);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);

  // Let the thread catch up, then write below the commits' own threshold: what gets copied now,
  // the thread copied.
  await waitFor('the thread to catch up', () => {
    const now = walProgress(file);
    return now.copied === now.frames;
  });
  commitWrites(db, checkpointer, 300);
  const written = walProgress(file);
  await waitFor('the thread to copy the new pages', () => walProgress(file).copied >= written.frames);
  await checkpointer.close();
  expect(checkpointer.running).toBe(false);
});

it('a thread that cannot open the file hands checkpoints back to the commits and says why', async () => {
  const file = freshPath();
  const db = walDatabase(file);
  // A WAL file past the threshold beside a database file that is not there.
  const missing = join(dir as string, 'missing.db');
  writeFileSync(`${missing}-wal`, Buffer.alloc(START_BYTES + 4096));
  const checkpointer = new WalCheckpointer(db, missing, 'NORMAL');
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    commitWrites(db, checkpointer, CHECK_EVERY_WRITES);
    expect(checkpointer.running).toBe(true);
    await waitFor('the thread to stop', () => !checkpointer.running);
    await waitFor('the warning', () => warnings.length > 0);
  } finally {
    process.off('warning', onWarning);
  }
  // Said once, with the file and the cause.
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ code: 'REDRIVE_SQLITE_CHECKPOINT' });
  expect(warnings[0]?.message).toContain(missing);
  expect(warnings[0]?.message).toMatch(/SQLITE_CANTOPEN|unable to open/);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  commitWrites(db, checkpointer, CHECK_EVERY_WRITES * 2);
  expect(checkpointer.running).toBe(false);
  await checkpointer.close();
});

/** The jobs {@link writeMegabytes} adds for 8 MB. */
const JOBS_PER_8_MB = Math.ceil((8 * 1024) / (50 * 4)) * 50;

/** Adds jobs of 4 KB payloads, 50 a call, until about `mb` megabytes were written. */
async function writeMegabytes(store: SqliteStore, mb: number): Promise<void> {
  const queue = new Queue<{ text: string }>('q', { store });
  const calls = Math.ceil((mb * 1024) / (50 * 4));
  for (let i = 0; i < calls; i++) {
    await queue.addBulk(
      Array.from({ length: 50 }, (_, k) => ({
        name: 'big',
        payload: { text: `${i}-${k}`.padEnd(4096, 'x') },
      })),
    );
  }
}

/** The store's own connection (private: its checkpoint threshold shows whether the thread runs). */
function connectionOf(store: SqliteStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db;
}

it('a busy store runs the thread and closes cleanly: the thread stops first, the store’s close removes the WAL', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path });
  await writeMegabytes(store, 8);
  expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
  await store.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
  const reopened = new SqliteStore({ path });
  // Every job written is there after the reopen.
  expect((await reopened.countJobs({ queue: 'q' })).waiting).toBe(JOBS_PER_8_MB);
  await reopened.close();
});

it('a store that only writes dead letters runs the thread too (its writes count like the jobs’)', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path });
  // Dead letters of 4 KB payloads, 50 a transaction, until about 8 MB were written.
  for (let i = 0; i < Math.ceil((8 * 1024) / (50 * 4)); i++) {
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: 50 }, (_, k) =>
        standaloneDeadLetter(`dl-${i}-${k}`, T0 + i, { payload: { text: `${i}-${k}`.padEnd(4096, 'x') } }),
      ),
      now: T0,
    });
  }
  expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
  await store.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
});

it("walCheckpoint: 'commit' never starts the thread", async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, walCheckpoint: 'commit' });
  await writeMegabytes(store, 8);
  expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  await store.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
});

it('refuses an unknown walCheckpoint value with a clear error', () => {
  const path = freshPath();
  expect(() => new SqliteStore({ path, walCheckpoint: 'never' as 'commit' })).toThrow(
    /walCheckpoint.*must be 'thread' or 'commit', got never/,
  );
});
