/**
 * WAL checkpoints on their own thread (wal-checkpointer.ts): a busy store's WAL is copied back
 * into the database file by the thread, not by its commits; a store that writes little never
 * starts it; closing stops the thread first, so the store's close still removes the WAL; a thread
 * that cannot work hands checkpoints back to the commits; `walCheckpoint: 'commit'` keeps SQLite's
 * default.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import {
  SAFETY_NET_PAGES,
  START_AFTER_WRITES,
  WalCheckpointer,
} from '../../src/store/sqlite/wal-checkpointer.js';
import { waitFor } from '../support/wait.js';

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
    insert.run('x'.repeat(200));
    checkpointer.noteWrite();
  }
}

it('starts after enough writes, raises the commits’ threshold, and copies the WAL on its thread', async () => {
  const path = freshPath();
  const db = walDatabase(path);
  const checkpointer = new WalCheckpointer(db, path, 'NORMAL');
  commitWrites(db, checkpointer, START_AFTER_WRITES - 1);
  expect(checkpointer.running).toBe(false);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);

  commitWrites(db, checkpointer, 1);
  expect(checkpointer.running).toBe(true);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);

  // The commits alone would not checkpoint below the safety net: what gets copied, the thread copied.
  commitWrites(db, checkpointer, 300);
  const before = walProgress(path);
  expect(before.frames).toBeLessThan(SAFETY_NET_PAGES);
  await waitFor('the thread to copy the WAL', () => {
    const now = walProgress(path);
    return now.copied >= before.frames && now.copied > 0;
  });
  await checkpointer.close();
  expect(checkpointer.running).toBe(false);
});

it('a thread that cannot open the file hands checkpoints back to the commits', async () => {
  const path = freshPath();
  const db = walDatabase(path);
  const checkpointer = new WalCheckpointer(db, join(dir as string, 'missing', 'jobs.db'), 'NORMAL');
  commitWrites(db, checkpointer, START_AFTER_WRITES);
  await waitFor('the thread to stop', () => !checkpointer.running);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  commitWrites(db, checkpointer, START_AFTER_WRITES);
  expect(checkpointer.running).toBe(false);
  await checkpointer.close();
});

/** The store's own connection (private: its checkpoint threshold shows whether the thread runs). */
function connectionOf(store: SqliteStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db;
}

it('a busy store runs the thread and closes cleanly: the thread stops first, the store’s close removes the WAL', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path });
  for (let i = 0; i < START_AFTER_WRITES + 50; i++) {
    await store.pauseQueue({ queue: `q${i % 3}` });
  }
  expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
  await store.close();
  expect(existsSync(`${path}-wal`)).toBe(false);
  const reopened = new SqliteStore({ path });
  expect(await reopened.isQueuePaused({ queue: 'q1' })).toBe(true);
  await reopened.close();
});

it("walCheckpoint: 'commit' never starts the thread", async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, walCheckpoint: 'commit' });
  for (let i = 0; i < START_AFTER_WRITES + 50; i++) {
    await store.pauseQueue({ queue: 'q' });
  }
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
