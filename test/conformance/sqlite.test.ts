/**
 * Runs the store conformance suite on the SQLite store: on a fresh database file in a fresh temp
 * directory for every test (the default mode, and once more with `synchronous: 'FULL'`), and in
 * memory (where reads stay on the calling thread).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';

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
// FULL syncs every commit to disk: the model's thousands of commits wait on the disk, not the CPU.
runStoreConformance('sqlite (synchronous FULL)', sqliteFactory({ synchronous: 'FULL' }), {
  modelTimeoutMs: 180_000,
});
runStoreConformance('sqlite (memory)', async () => {
  const store = new SqliteStore({ path: ':memory:', pollIntervalMs: 0 });
  return { store, cleanup: () => store.close() };
});
