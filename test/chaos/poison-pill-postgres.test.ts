/**
 * The poison-pill scenarios (see poison-pill-scenarios.ts) on PostgreSQL: one fresh schema for the
 * file, emptied between scenarios, dropped at the end. Skipped loudly without PostgreSQL, except
 * under CI=true.
 */
import { afterAll, describe } from 'vitest';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { runPoisonPillScenarios } from './poison-pill-scenarios.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL store', () => {
  const schema = new PostgresTestSchema(postgres.url, 'poison');
  afterAll(() => schema.drop());

  runPoisonPillScenarios('PostgreSQL', async () => {
    const store = await schema.freshStore();
    return {
      store,
      spec: { kind: 'postgres', url: postgres.url, schema: schema.schema },
      cleanup: () => store.close(),
    };
  });
});
