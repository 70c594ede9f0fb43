import { afterAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../src/index.js';
import { bindSchema, loadMigrations } from '../../src/store/postgres/sql-files.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL migration 0003 under a concurrent writer', () => {
  const schema = new PostgresTestSchema(postgres.url, 'groups_migration');
  afterAll(() => schema.drop());

  it('counts an entry an older writer commits while the counters are being built', async () => {
    const store = await schema.freshStore();
    const dlq = new DeadLetterQueue({ store });
    for (let i = 0; i < 3; i++) {
      await dlq.store({ domain: 'payment', failureType: 'DECLINED', error: new Error('card declined') });
    }
    const s = `"${schema.schema}"`;
    // The data without its counters, as a redrive of schema version 2 left it.
    await schema.pool.query(
      `DROP TRIGGER dead_letter_groups_inserted ON ${s}.dead_letters;
       DROP TRIGGER dead_letter_groups_updated ON ${s}.dead_letters;
       DROP TRIGGER dead_letter_groups_deleted ON ${s}.dead_letters;
       DROP FUNCTION ${s}.count_dead_letter_groups();
       DROP FUNCTION ${s}.sight_fingerprints(jsonb);
       DROP TABLE ${s}.dead_letter_groups, ${s}.dead_letter_fingerprints;`,
    );
    const writer = await schema.pool.connect();
    const migrator = await schema.pool.connect();
    try {
      // The older writer has inserted an entry and not committed yet when the migration starts.
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO ${s}.dead_letters
           SELECT (jsonb_populate_record(d, jsonb_build_object('id', 'dl_late', 'seq', 1000000))).*
             FROM ${s}.dead_letters d ORDER BY seq LIMIT 1`,
      );
      // Migration 0003 as migrateSchema runs it: in a transaction on its own connection.
      const sql = bindSchema(loadMigrations().find((m) => m.version === 3)!.sql, schema.schema);
      const migrating = (async () => {
        await migrator.query('BEGIN');
        await migrator.query(`SET LOCAL search_path TO ${s}, public`);
        await migrator.query(sql);
        await migrator.query('COMMIT');
      })();
      // The migration waits for the writer (it locks the table before counting) ...
      await waitFor('the migration to wait for the writer', async () => {
        const { rows } = await schema.pool.query<{ waiting: boolean }>(
          `SELECT bool_or(wait_event_type = 'Lock') AS waiting FROM pg_stat_activity WHERE pid = $1`,
          [(migrator as unknown as { processID: number }).processID],
        );
        return rows[0]?.waiting === true;
      });
      await writer.query('COMMIT');
      await migrating;
    } finally {
      writer.release();
      migrator.release();
    }
    const { rows } = await schema.pool.query<{ n: string }>(
      `SELECT sum(n) AS n FROM ${s}.dead_letter_groups`,
    );
    expect(Number(rows[0]!.n)).toBe(4);
    const { groups } = await store.topDeadLetterFailures({ limit: 10 });
    expect(groups.map((g) => g.count)).toEqual([4]);
    await store.close();
  });
});
