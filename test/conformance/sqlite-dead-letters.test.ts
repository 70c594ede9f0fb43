/**
 * Runs the dead-letter conformance cases on the SQLite store: in memory, and on a WAL file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runDeadLetterConformance } from './dead-letter-suite.js';

runDeadLetterConformance('SqliteStore (memory)', async () => {
  const store = new SqliteStore({ path: ':memory:', pollIntervalMs: 0 });
  return { store, cleanup: () => store.close() };
});

runDeadLetterConformance('SqliteStore (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-dlq-'));
  const store = new SqliteStore({ path: join(dir, 'dlq.db'), pollIntervalMs: 0 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
