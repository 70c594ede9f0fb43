/**
 * Runs the store conformance suite (jobs, dead letters, the model) on the PostgreSQL store against a real server
 * (`POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test), on a fresh schema for this
 * file, emptied between tests. Without PostgreSQL the file is skipped with a loud warning —
 * except under CI=true, where `postgresService()` throws and the file fails.
 */
import { afterAll, describe } from 'vitest';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL store', () => {
  const schema = new PostgresTestSchema(postgres.url, 'conformance');
  afterAll(() => schema.drop());

  const factory = async () => {
    const store = await schema.freshStore();
    return { store, cleanup: () => store.close() };
  };

  runStoreConformance('postgres', factory, { modelTimeoutMs: 180_000 });
});
