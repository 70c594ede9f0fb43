/**
 * A Redis that cannot write its snapshot (a full disk, a directory gone) refuses every write with
 * MISCONF until it can again. The store reports that at the call that failed, as a
 * StoreUnavailableError (503) that workers retry, changes nothing, still reads, and works again by
 * itself once Redis accepts writes. Runs on a redis-server of its own, whose data directory it removes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisServerAvailable } from '../chaos/redis-server.js';
import { pingRedis } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { job, T0 } from './redis-store-harness.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!redisServerAvailable())('RedisStore on a Redis that cannot persist (MISCONF)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-misconf-'));
  const data = join(dir, 'data');
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    mkdirSync(data);
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    // Snapshots on (any change within an hour), so that a failed one stops writes.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', data, '--save', '3600 1'];
    child = spawn('redis-server', [...args, '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('redis-server', async () => (await pingRedis(url, 200)).available, { timeoutMs: 5000 });
  });
  afterAll(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses each write at its call with a 503, changes nothing, still reads, and writes again once Redis may', async () => {
    const admin = new Redis(url);
    const store = new RedisStore({ url, prefix: 'misconf', clock: 'caller' });
    const failedSnapshot = async () => {
      await admin.bgsave();
      await waitFor('a failed snapshot', async () => {
        const info = await admin.info('persistence');
        return info.includes('rdb_bgsave_in_progress:0') && info.includes('rdb_last_bgsave_status:err');
      });
    };
    try {
      await store.insertJobs({ jobs: [job({ payload: 'kept' })], now: T0 });
      rmSync(data, { recursive: true, force: true });
      await failedSnapshot();

      const insert = await store.insertJobs({ jobs: [job()], now: T0 }).catch((e: unknown) => e);
      expect(insert).toBeInstanceOf(StoreUnavailableError);
      expect((insert as StoreUnavailableError).status).toBe(503);
      expect((insert as Error).message).toMatch(/Redis store at .*insert.*MISCONF/i);
      const claim = await store
        .claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c1' })
        .catch((e: unknown) => e);
      expect(claim).toBeInstanceOf(StoreUnavailableError);
      expect(await store.countJobs({ queue: 'q' })).toMatchObject({ waiting: 1, active: 0 });

      // The operator's way out while the disk is being fixed: no snapshots, so no MISCONF.
      await admin.config('SET', 'save', '');
      expect((await store.insertJobs({ jobs: [job()], now: T0 }))[0]?.created).toBe(true);
      expect(await store.countJobs({ queue: 'q' })).toMatchObject({ waiting: 2, active: 0 });
    } finally {
      await store.close();
      await admin.quit();
    }
  });
});
