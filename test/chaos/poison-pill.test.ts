/** The poison-pill scenarios (see poison-pill-scenarios.ts) on a SQLite file. */
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runPoisonPillScenarios } from './poison-pill-scenarios.js';

runPoisonPillScenarios('SQLite', async (dir) => {
  const path = join(dir, 'jobs.db');
  const store = new SqliteStore({ path });
  return { store, spec: { kind: 'sqlite', path }, cleanup: () => store.close() };
});
