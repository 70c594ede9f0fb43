/**
 * Query plans of the PostgreSQL store's hot statements, on a table whose statistics saw no active
 * job (as right after an ANALYZE of a freshly filled queue): the fenced writes by id look their
 * batch up by primary key, never through the lease index (which the planner then takes for empty,
 * and which holds a dead entry for every job that was ever active until a vacuum); recovery and
 * the active count still use the lease index.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/queue/queue.js';
import { bindSchema, loadStatements } from '../../src/store/postgres/sql-files.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL query plans', () => {
  const schema = new PostgresTestSchema(postgres.url, 'plans');
  afterAll(() => schema.drop());

  /** The generic plan (the one a prepared statement settles on) of a statement of sql/jobs.sql. */
  async function genericPlan(name: string, values: unknown[]): Promise<string> {
    const sql = bindSchema(loadStatements('jobs').get(name)!, schema.schema);
    const client = await schema.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE plan_probe AS ${sql}`);
      const params = values.map((v) => (v === null ? 'NULL' : client.escapeLiteral(String(v))));
      const { rows } = await client.query(
        `EXPLAIN EXECUTE plan_probe${params.length ? `(${params.join(', ')})` : ''}`,
      );
      return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
      await client.query('DEALLOCATE ALL');
      client.release();
    }
  }

  it('looks fenced writes up by id and keeps the lease index for recovery and counts', async () => {
    const store = await schema.freshStore();
    const queue = new Queue('plans', { store });
    await queue.addBulk(Array.from({ length: 5000 }, (_, i) => ({ name: 'job', payload: { i } })));
    await schema.pool.query(`ANALYZE "${schema.schema}".jobs`);
    const claimed = await store.claimJobs({
      queue: 'plans',
      workerId: 'w',
      limit: 100,
      leaseMs: 60_000,
      now: 1_000,
      claimId: 'c1',
    });
    expect(claimed).toHaveLength(100);
    const ids = `{${claimed.map((j) => j.id).join(',')}}`;
    const tokens = `{${claimed.map((j) => `"${j.token}"`).join(',')}}`;
    const nulls = `{${claimed.map(() => 'NULL').join(',')}}`;

    for (const [name, values] of [
      ['complete', [ids, tokens, nulls, 2_000]],
      ['extend', [ids, tokens, 90_000]],
      ['release', [ids, tokens, 2_000]],
    ] as const) {
      const plan = await genericPlan(name, [...values]);
      expect(plan, name).toContain('jobs_pkey');
      expect(plan, name).not.toContain('jobs_lease');
    }
    expect(await genericPlan('expiredLeases', [70_000, null, 100])).toContain('jobs_lease');
    expect(await genericPlan('countAll', [])).toContain('jobs_lease');
    expect((await queue.getCounts()).active).toBe(100);
    // complete_and_claim is planned generically from its first call (see migration 0006).
    const { rows } = await schema.pool.query(
      `SELECT p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = 'complete_and_claim'`,
      [schema.schema],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].proconfig).toContain('plan_cache_mode=force_generic_plan');
    await store.close();
  });
});
