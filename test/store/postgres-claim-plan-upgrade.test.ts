/**
 * Upgrading a PostgreSQL schema of version 10 (claims planned with a merge join and JIT, see
 * migrations 0011 and 0012): jobs claimed before the upgrade complete with their tokens afterwards,
 * waiting jobs are claimed, and the claim function carries the new settings.
 */

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { claimedByOlderRelease, schemaAtVersion } from '../support/postgres.js';
import { postgresService, uniqueSchemaName } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)(
  'PostgreSQL migrations 0011 and 0012 (claims joined by id, without JIT)',
  () => {
    const schema = uniqueSchemaName('claim_upgrade');
    const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });

    it('keeps claimed and waiting jobs through the upgrade', async () => {
      await schemaAtVersion(pool, schema, 10);
      // Claimed by a worker of the older release, with the function as version 10 made it.
      const before = await claimedByOlderRelease(pool, schema, { waiting: 10, claim: 4 });
      expect(before).toHaveLength(4);

      const store = new PostgresStore({ pool, schema });
      try {
        const upgrade = await store.migrate();
        expect(upgrade.from).toBe(10);
        expect(upgrade.applied.slice(0, 2)).toEqual(['0011_claim_join_by_id', '0012_claim_without_jit']);
        const { completed, claimed } = await store.completeAndClaimJobs({
          completions: before.map((r) => ({ id: r.id, token: r.token, resultJson: '"done"' })),
          claim: { queue: 'q', workerId: 'new', limit: 10, leaseMs: 60_000, now: 200, claimId: 'c1' },
        });
        expect(completed.map((r) => r.ok)).toEqual([true, true, true, true]);
        expect(claimed.map((j) => (j.payload as { i: number }).i)).toEqual([5, 6, 7, 8, 9, 10]);
        expect((await store.getJob({ id: before[0]!.id }))?.state).toBe('completed');
        const { rows } = await pool.query<{ proconfig: string[] }>(
          `SELECT p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = $1 AND p.proname = 'complete_and_claim'`,
          [schema],
        );
        expect(rows[0]!.proconfig).toEqual(
          expect.arrayContaining([
            'enable_mergejoin=off',
            'jit=off',
            'enable_hashjoin=off',
            'plan_cache_mode=force_generic_plan',
          ]),
        );
      } finally {
        await store.close();
      }
    });
  },
);
