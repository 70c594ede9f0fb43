/**
 * A fresh SQLite database file in its own temporary directory, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/index.js';
import type { Synchronous } from './result.js';

export interface TempDb {
  dir: string;
  path: string;
  /** Opens a store on the database (several may be open at once, as several processes would). */
  open(): SqliteStore;
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
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
