/**
 * `redrive chaos` on each store: a short run (a few hundred jobs, two worker processes, kills and,
 * on the network stores, connection cuts) must find every job completed or dead-lettered exactly
 * once and none lost; and its checks must fail when the store shows a loss or a double completion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChaosReport, ChaosRunOptions } from '../../src/cli/chaos/chaos-options.js';
import { runChaos } from '../../src/cli/chaos/run-chaos.js';
import { verifyChaosRun } from '../../src/cli/chaos/verify.js';
import { Queue } from '../../src/queue/queue.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runInProcess } from '../cli/helpers.js';
import { redisClusterAvailability, startRedisCluster } from '../support/redis-cluster.js';
import {
  deleteKeysWithPrefix,
  postgresService,
  redisService,
  uniqueKeyPrefix,
  uniqueSchemaName,
} from '../support/services.js';

const redis = await redisService();
const postgres = await postgresService();
const cluster = await redisClusterAvailability();
const dir = mkdtempSync(join(tmpdir(), 'redrive-chaos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small and quick: kills land while jobs run (20 ms each), orphans come back after a 1 s lease. */
const JOBS = 400;
const SHORT: Omit<ChaosRunOptions, 'storeUrl'> = {
  jobs: JOBS,
  workers: 2,
  kills: 2,
  concurrency: 4,
  jobMs: 20,
  failRate: 0.05,
  leaseMs: 1000,
  heartbeatMs: 250,
  recoveryIntervalMs: 100,
  minGapMs: 150,
  seed: 20,
  timeoutMs: 90_000,
};

function expectNoLoss(report: ChaosReport): void {
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.kills).toBeGreaterThanOrEqual(1);
  expect(report.lost).toBe(0);
  expect(report.completedTwice).toBe(0);
  expect(report.deadLetterMismatch).toBe(0);
  expect(report.completed + report.deadLettered).toBe(JOBS);
  expect(report.deadLettered).toBe(report.failingByDesign + report.poisonPills);
  expect(report.failingByDesign).toBeGreaterThan(0);
  expect(report.executions).toBeGreaterThanOrEqual(JOBS);
  if (report.recoveredOutsideCuts.maxMs !== null)
    expect(report.recoveredOutsideCuts.maxMs).toBeLessThanOrEqual(report.boundMs);
}

describe('redrive chaos', () => {
  it('SQLite: killed workers lose no job, and the file passes integrity_check', {
    timeout: 120_000,
  }, async () => {
    const run = await runInProcess(dir, [
      'chaos',
      '--store',
      `sqlite:${join(dir, 'chaos.db')}`,
      '--jobs',
      '300',
      '--workers',
      '2',
      '--kills',
      '1',
      '--seed',
      '5',
      '--job-ms',
      '20',
      '--lease-ms',
      '1000',
      '--heartbeat-ms',
      '250',
      '--json',
    ]);
    expect(run.stderr).toContain('seed 5');
    const report = JSON.parse(run.stdout) as ChaosReport;
    expect(run.code).toBe(0);
    expect(report).toMatchObject({ ok: true, kind: 'sqlite', jobs: 300, lost: 0, integrity: 'ok', seed: 5 });
    expect(report.completed + report.deadLettered).toBe(300);
  });

  it.skipIf(!redis.available)(
    'Redis: kills and connection cuts lose no job',
    { timeout: 120_000 },
    async () => {
      const prefix = uniqueKeyPrefix('chaos');
      const url = `${redis.url}/0?prefix=${encodeURIComponent(prefix)}`;
      try {
        expectNoLoss(await runChaos({ ...SHORT, storeUrl: url, proxy: true, cuts: 2 }));
      } finally {
        const client = new Redis(redis.url);
        await deleteKeysWithPrefix(client, prefix);
        client.disconnect();
      }
    },
  );

  it.skipIf(!postgres.available)(
    'PostgreSQL: kills and connection cuts lose no job',
    { timeout: 120_000 },
    async () => {
      const schema = uniqueSchemaName('chaos');
      try {
        expectNoLoss(
          await runChaos({ ...SHORT, storeUrl: `${postgres.url}?schema=${schema}`, proxy: true, cuts: 2 }),
        );
      } finally {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
  );

  it.skipIf(!cluster.available)('Redis Cluster: kills lose no job', { timeout: 180_000 }, async () => {
    const nodes = await startRedisCluster();
    try {
      const url = `${nodes.url}?prefix=${encodeURIComponent(uniqueKeyPrefix('chaos'))}`;
      expectNoLoss(await runChaos({ ...SHORT, storeUrl: url }));
      await expect(runChaos({ ...SHORT, storeUrl: url, proxy: true })).rejects.toThrow(/single-server/);
    } finally {
      await nodes.stop();
    }
  });

  it('the checks fail on a job left behind, a double completion and a failing job that completed', async () => {
    const store = new SqliteStore({ path: join(dir, 'verify.db') });
    const queue = new Queue('chaos-verify', { store });
    const [done, twice, left] = await queue.addBulk(
      [0, 1, 2].map((n) => ({ name: 'chaos', payload: { n } })),
    );
    const claimed = await store.claimJobs({
      queue: 'chaos-verify',
      workerId: 'w',
      limit: 2,
      leaseMs: 60_000,
      now: Date.now(),
      claimId: 'c1',
    });
    await store.completeJobs({
      completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
      now: Date.now(),
    });
    const verdict = await verifyChaosRun(store, {
      queue: 'chaos-verify',
      jobIds: [done!.id, twice!.id, left!.id, 'no-such-job'],
      failing: new Set([done!.id]),
      completionReports: new Map([
        [done!.id, 1],
        [twice!.id, 2],
      ]),
    });
    expect(verdict.completed).toBe(2);
    expect(verdict.lost).toEqual([left!.id, 'no-such-job']);
    expect(verdict.completedTwice).toEqual([twice!.id]);
    expect(verdict.failingCompleted).toEqual([done!.id]);
    await store.close();
  });
});
