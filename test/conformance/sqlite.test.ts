/**
 * Runs the store conformance suite on the SQLite store: a fresh database file in a fresh temp
 * directory for every test, in the default mode and once more with `synchronous: 'FULL'`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import { runStoreConformance } from './store-suite.js';

function sqliteFactory(options: Omit<SqliteStoreOptions, 'path' | 'database'> = {}) {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redrive-conformance-'));
    const store = new SqliteStore({ path: join(dir, 'jobs.sqlite'), pollIntervalMs: 0, ...options });
    return {
      store,
      async cleanup() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

runStoreConformance('sqlite', sqliteFactory());
runStoreConformance('sqlite (synchronous FULL)', sqliteFactory({ synchronous: 'FULL' }), { model: false });
