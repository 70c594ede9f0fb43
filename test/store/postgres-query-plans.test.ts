/**
 * Query plans of the PostgreSQL store's hot statements, on a table whose statistics saw no active
 * job (as right after an ANALYZE of a freshly filled queue): the fenced writes by id look their
 * batch up by primary key, never through the lease index (which the planner then takes for empty,
 * and which holds a dead entry for every job that was ever active until a vacuum); recovery and
 * the active count still use the lease index.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/core/job.js';
import { Queue } from '../../src/queue/queue.js';
import { deadLetterFromJob, failedAttempt } from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { bindSchema, loadStatements } from '../../src/store/postgres/sql-files.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

/**
 * A one-connection pool whose connection reports the plan of every statement it runs (those inside
 * functions too) into `plans`, through auto_explain; with `analyze`, with actual row counts.
 */
function explainingPool(plans: string[], { analyze }: { analyze: boolean }): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
  pool.on('connect', (client) => {
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
    void client.query(
      `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; ${analyze ? 'SET auto_explain.log_analyze = on; ' : ''}` +
        'SET auto_explain.log_nested_statements = on; SET client_min_messages = log',
    );
  });
  return pool;
}

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
      await client.query('DEALLOCATE plan_probe');
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

    for (const [name, values] of [['complete', [ids, tokens, nulls, 2_000]]] as const) {
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

  it('joins a claimed batch back to the table by primary key, however far the queue has drained', async () => {
    const store = await schema.freshStore();
    const queue = new Queue('plans', { store });
    await queue.addBulk(Array.from({ length: 5000 }, (_, i) => ({ name: 'job', payload: { i } })));
    await schema.pool.query(`ANALYZE "${schema.schema}".jobs`);
    // Halfway through the queue: a join that scans the primary key from its start reads 2,500 rows.
    let completions = (
      await store.claimJobs({
        queue: 'plans',
        workerId: 'w',
        limit: 2500,
        leaseMs: 60_000,
        now: 1_000,
        claimId: 'c1',
      })
    ).map((j) => ({ id: j.id, token: j.token, resultJson: null }));
    const plans: string[] = [];
    const explained = explainingPool(plans, { analyze: true });
    const probe = new PostgresStore({ pool: explained, schema: schema.schema });
    try {
      // The first calls on a connection and the later ones (a generic plan from the first, 0006).
      for (let call = 0; call < 7; call++) {
        plans.length = 0;
        const { completed, claimed } = await probe.completeAndClaimJobs({
          completions,
          claim: {
            queue: 'plans',
            workerId: 'w',
            limit: 100,
            leaseMs: 60_000,
            now: 2_000,
            claimId: `p${call}`,
          },
        });
        expect(completed.every((r) => r.ok)).toBe(true);
        expect(claimed).toHaveLength(100);
        completions = claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null }));
        const claim = plans.find((p) => p.includes("SET state = 'active'"));
        expect(claim, 'the claim statement was explained').toBeDefined();
        expect(claim).not.toMatch(/Merge Join|Hash Join/);
        // Each claimed job is looked up once by primary key, never by a scan of the rows before it.
        expect(claim).toMatch(/Index Scan using jobs_pkey on jobs j .*rows=1 loops=100\)/);
      }
    } finally {
      await probe.close();
      await explained.end();
    }
    const { rows } = await schema.pool.query(
      `SELECT p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = 'complete_and_claim'`,
      [schema.schema],
    );
    expect(rows[0].proconfig).toEqual(
      expect.arrayContaining([
        'enable_mergejoin=off',
        'jit=off',
        'enable_hashjoin=off',
        'plan_cache_mode=force_generic_plan',
      ]),
    );
    await store.close();
  });

  it('plans heartbeats, releases, failures and recovery by id from the first call on a connection', async () => {
    const store = await schema.freshStore();
    const queue = new Queue('plans', { store });
    await queue.addBulk(Array.from({ length: 5000 }, (_, i) => ({ name: 'job', payload: { i } })));
    await schema.pool.query(`ANALYZE "${schema.schema}".jobs`);
    const claimed = await store.claimJobs({
      queue: 'plans',
      workerId: 'w',
      limit: 400,
      leaseMs: 60_000,
      now: 1_000,
      claimId: 'c1',
    });
    expect(claimed).toHaveLength(400);
    const batch = (from: number) => claimed.slice(from, from + 100);
    const leases = (jobs: ClaimedJob[]) => jobs.map((j) => ({ id: j.id, token: j.token }));

    // A new connection, so that each statement runs for the first time (when, unless told
    // otherwise, PostgreSQL plans it for the call's values); auto_explain reports every plan,
    // those of statements inside functions included.
    const plans: string[] = [];
    const explained = explainingPool(plans, { analyze: false });
    const probe = new PostgresStore({ pool: explained, schema: schema.schema });
    /** Plans of `call` look jobs up by id, and through the lease index only when finding expired leases. */
    async function plansOf(what: string, call: () => Promise<{ ok: boolean }[]>): Promise<void> {
      plans.length = 0;
      const results = await call();
      expect(results.length > 0 && results.every((r) => r.ok), what).toBe(true);
      const seen = plans.join('\n');
      expect(seen, what).toContain('jobs_pkey');
      expect(seen, what).not.toMatch(/Seq Scan on jobs\b/);
      const leaseIndexUses = seen.split('\n').filter((line) => line.includes('jobs_lease'));
      expect(leaseIndexUses.length, what).toBe(what === 'recovery' ? 1 : 0);
    }
    try {
      await plansOf('extend', () =>
        probe.extendLeases({ leases: leases(claimed), now: 2_000, leaseMs: 60_000 }),
      );
      await plansOf('release', () => probe.releaseJobs({ leases: leases(batch(0)), now: 2_000 }));
      await plansOf('retry', () =>
        probe.failJobs({
          failures: batch(100).map((job) => ({
            id: job.id,
            token: job.token,
            attempt: failedAttempt(job, 2_000),
            outcome: { kind: 'retry', runAt: 5_000 },
          })),
          now: 2_000,
        }),
      );
      await plansOf('dead letter', () =>
        probe.failJobs({
          failures: batch(200).map((job) => ({
            id: job.id,
            token: job.token,
            attempt: failedAttempt(job, 2_000),
            outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob(`dl-${job.id}`, 2_000) },
          })),
          now: 2_000,
        }),
      );
      // Recovery: the leases still held (the last batch) have expired.
      await plansOf('recovery', async () => {
        const swept = await probe.recoverExpiredLeases({
          now: 100_000,
          maxOrphans: 10,
          limit: 1_000,
          deadLetterFor: (job) => deadLetterFromJob(`poison-${job.id}`, 100_000),
        });
        return batch(300).map((job) => ({ ok: swept.recovered.includes(job.id) }));
      });
    } finally {
      await probe.close();
      await explained.end();
    }
    // Both functions keep the setting (a migration that recreates them must carry it over).
    const { rows } = await schema.pool.query(
      `SELECT p.proname, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname IN ('extend_leases', 'release_jobs') ORDER BY p.proname`,
      [schema.schema],
    );
    expect(rows.map((r: { proname: string }) => r.proname)).toEqual(['extend_leases', 'release_jobs']);
    for (const row of rows) expect(row.proconfig).toContain('plan_cache_mode=force_generic_plan');
    await store.close();
  });
});
