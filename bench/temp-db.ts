/**
 * A fresh SQLite database file in its own temporary directory, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/index.js';
import type { Synchronous } from './result.js';
import { settle } from './settle.js';

export interface TempDb {
  dir: string;
  path: string;
  /** Opens a store on the database (several may be open at once, as several processes would). */
  open(): SqliteStore;
  /** Checkpoints and syncs the database before a measured drain (see settle.ts). */
  settle(): Promise<void>;
  /** Deletes the directory and everything in it (database, WAL, shared memory). */
  remove(): void;
}

export function createTempDb(synchronous: Synchronous): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-bench-'));
  const path = join(dir, 'bench.db');
  return {
    dir,
    path,
    open: () => new SqliteStore({ path, synchronous }),
    settle: () => settle(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
