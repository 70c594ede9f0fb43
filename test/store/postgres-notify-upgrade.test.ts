/**
 * Upgrading a PostgreSQL schema of version 12 (migration 0013): after it, an update notifies the
 * store's channel only for rows that become waiting (a release, a lease recovery), never for a
 * claim, a completion or a heartbeat; inserts of waiting jobs still notify, and jobs claimed
 * before the upgrade complete afterwards.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { notifyChannel } from '../../src/store/postgres/sql-files.js';
import { claimedByOlderRelease, schemaAtVersion } from '../support/postgres.js';
import { postgresService, uniqueSchemaName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL migration 0013 (wake-ups for rows becoming waiting)', () => {
  const schema = uniqueSchemaName('notify_upgrade');
  const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
  const listener = new pg.Client({ connectionString: postgres.url });
  afterAll(async () => {
    await listener.end().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('notifies for releases and recoveries, not for claims, completions or heartbeats', async () => {
    await schemaAtVersion(pool, schema, 12);
    const before = await claimedByOlderRelease(pool, schema, { waiting: 6, claim: 2 });
    const s = `"${schema}"`;
    expect(before).toHaveLength(2);

    const heard: string[] = [];
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN "${notifyChannel(schema)}"`);
    // A marker on its own queue: once it is heard, every notification committed before it was too.
    let markers = 0;
    const settle = async () => {
      const marker = `marker-${++markers}`;
      await pool.query(`SELECT pg_notify($1, $2)`, [notifyChannel(schema), marker]);
      await waitFor(marker, () => heard.includes(marker));
      const got = heard.filter((q) => !q.startsWith('marker-'));
      heard.length = 0;
      return got;
    };

    const store = new PostgresStore({ pool, schema });
    try {
      const upgrade = await store.migrate();
      expect(upgrade.from).toBe(12);
      expect(upgrade.applied).toContain('0013_notify_on_becoming_waiting');
      await settle();

      const now = 200;
      const { completed, claimed } = await store.completeAndClaimJobs({
        completions: before.map((r) => ({ id: r.id, token: r.token, resultJson: '"done"' })),
        claim: { queue: 'q', workerId: 'new', limit: 3, leaseMs: 1_000, now, claimId: 'c1' },
      });
      expect(completed.map((r) => r.ok)).toEqual([true, true]);
      expect(claimed).toHaveLength(3);
      await store.extendLeases({
        leases: claimed.map((j) => ({ id: j.id, token: j.token })),
        leaseMs: 1_000,
        now,
      });
      expect(await settle()).toEqual([]);
      // Already waiting: it woke workers when it became so.
      await pool.query(`UPDATE ${s}.jobs SET priority = 1 WHERE state = 'waiting'`);
      expect(await settle()).toEqual([]);
      // No update copies its rows into a transition table any more.
      const { rows: triggers } = await pool.query<{ name: string; row: boolean; copies: boolean }>(
        `SELECT tgname AS name, (tgtype & 1) = 1 AS row, tgnewtable IS NOT NULL AS copies FROM pg_trigger
          WHERE tgrelid = '${s}.jobs'::regclass AND NOT tgisinternal AND (tgtype & 16) = 16`,
      );
      expect(triggers).toEqual([{ name: 'jobs_became_waiting', row: true, copies: false }]);

      await store.releaseJobs({ leases: [{ id: claimed[0]!.id, token: claimed[0]!.token }], now });
      expect(await settle()).toEqual(['q']);

      const recovery = await store.recoverExpiredLeases({
        now: now + 10_000,
        maxOrphans: 5,
        limit: 10,
        deadLetterFor: () => {
          throw new Error('no job is a poison pill here');
        },
      });
      expect(recovery.recovered).toHaveLength(2);
      expect(await settle()).toEqual(['q']);

      await store.insertJobs({
        jobs: [
          {
            queue: 'q',
            name: 'job',
            payloadJson: '{}',
            priority: 0,
            runAt: now,
            maxAttempts: 3,
            timeoutMs: null,
            backoff: null,
            idempotencyKey: null,
            replayOf: null,
          },
        ],
        now,
      });
      expect(await settle()).toEqual(['q']);
    } finally {
      await store.close();
    }
  });
});
