/**
 * Redis store on a real server: the store's format version (`{p}:format`, absent = 1). Before the
 * store's first insert or failure write, a fresh prefix (no key, no data) gets the newest version,
 * a prefix an earlier release wrote to stays at 1, and the `formatVersion` option raises the key,
 * never lowering it. `redrive migrate` raises it to a store URL's `format=` and, without one (it
 * may run before a rollout, beside processes of the older release), leaves it as it is.
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { migrateStore } from '../../src/cli/commands/migrate.js';
import { ValidationError } from '../../src/core/errors.js';
import { LATEST_FORMAT_VERSION, RedisKeys } from '../../src/store/redis/keys.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { runInProcess } from '../cli/helpers.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** A failure write (of a job that does not exist: only the format raise before it matters here). */
async function failSomething(store: RedisStore): Promise<void> {
  const [result] = await store.failJobs({
    failures: [
      {
        id: '404',
        token: 't',
        attempt: { attempt: 1, outcome: 'failed', startedAt: T0, endedAt: T0 } as never,
        outcome: { kind: 'retry', runAt: T0 },
      },
    ],
    now: T0,
  });
  expect(result?.ok).toBe(false);
}

describe.skipIf(!redis.available)('RedisStore format version', () => {
  const { admin, open, openOlder, olderData } = redisStoreHarness(redis);

  /** A store URL of a prefix holding an earlier release's data (no format key), with `query` added. */
  async function olderUrl(query = ''): Promise<{ url: string; key: string }> {
    const prefix = open().keys.prefix;
    await olderData(prefix);
    const url = `${redis.url}${redis.url.includes('?') ? '&' : '?'}prefix=${prefix}${query}`;
    return { url, key: new RedisKeys(prefix).format };
  }

  it('a fresh prefix gets the newest version before the first write', async () => {
    const store = open();
    expect(await admin!.get(store.keys.format)).toBeNull();
    await failSomething(store);
    expect(await admin!.get(store.keys.format)).toBe(String(LATEST_FORMAT_VERSION));
    const inserting = open();
    await inserting.insertJobs({ jobs: [job()], now: T0 });
    expect(await admin!.get(inserting.keys.format)).toBe(String(LATEST_FORMAT_VERSION));
  });

  it('a prefix holding data an earlier release wrote stays at version 1 (no key)', async () => {
    const store = await openOlder();
    await failSomething(store);
    await store.insertJobs({ jobs: [job()], now: T0 });
    expect(await admin!.get(store.keys.format)).toBeNull();
  });

  it('is raised by the option before the first failure write, and never lowered', async () => {
    const store = await openOlder({ formatVersion: 2 });
    expect(await admin!.get(store.keys.format)).toBeNull();
    await failSomething(store);
    expect(await admin!.get(store.keys.format)).toBe('2');
    const older = open({ prefix: store.keys.prefix, formatVersion: 1 });
    await failSomething(older);
    expect(await admin!.get(store.keys.format)).toBe('2');
  });

  it("a queue-slot store settles each queue slot's key by the same rule; redrive migrate raises them all", async () => {
    const prefix = uniqueKeyPrefix('redis-format-slots').slice(0, -1);
    // Queue b's slot (number 2) holds jobs an earlier release wrote: its id counter.
    await admin!.set(new RedisKeys(prefix, 2).ids, '5');
    const store = new QueueSlotRedisStore({ url: redis.url, clock: 'caller', prefix });
    try {
      await store.insertJobs({ jobs: [job({ queue: 'a' })], now: T0 });
      await store.insertJobs({ jobs: [job({ queue: 'b' })], now: T0 });
      expect(await admin!.get(new RedisKeys(prefix, 1).format)).toBe(String(LATEST_FORMAT_VERSION));
      expect(await admin!.get(new RedisKeys(prefix, 2).format)).toBeNull();
      const report = await migrateStore(
        `${redis.url}?prefix=${prefix}&slots=queue&format=${LATEST_FORMAT_VERSION}`,
      );
      expect(report).toMatchObject({ from: 1, to: LATEST_FORMAT_VERSION });
      const latest = String(LATEST_FORMAT_VERSION);
      const keys = [undefined, 1, 2].map((n) => new RedisKeys(prefix, n).format);
      expect(await admin!.mget(...keys)).toEqual([latest, latest, latest]);
    } finally {
      await store.close();
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, `{${prefix}`);
    }
  });

  it('redrive migrate leaves an older store as it is unless its URL asks for format=N', async () => {
    const { url, key } = await olderUrl();
    const kept = await runInProcess(tmpdir(), ['migrate', '--store', url]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain(`format version 1 (this release writes up to ${LATEST_FORMAT_VERSION}`);
    expect(await admin!.get(key)).toBeNull();
    const latest = `${url}&format=${LATEST_FORMAT_VERSION}`;
    const raised = Array.from({ length: LATEST_FORMAT_VERSION - 1 }, (_, i) => `format ${i + 2}`);
    expect(await migrateStore(latest)).toMatchObject({ from: 1, to: LATEST_FORMAT_VERSION, applied: raised });
    expect(await admin!.get(key)).toBe(String(LATEST_FORMAT_VERSION));
    const again = await runInProcess(tmpdir(), ['migrate', '--store', url]);
    expect(again.stdout).toContain(`format version ${LATEST_FORMAT_VERSION}, up to date`);
  });

  it("redrive migrate raises to the URL's format= instead, and never lowers the key", async () => {
    const { url, key } = await olderUrl('&format=3');
    const first = await runInProcess(tmpdir(), ['migrate', '--store', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('migrated from format version 1 to 3 (format 2, format 3)');
    expect(await admin!.get(key)).toBe('3');
    expect(await migrateStore(url.replace('format=3', 'format=2'))).toEqual({
      store: expect.any(String),
      from: 3,
      to: 3,
      applied: [],
    });
    expect(await admin!.get(key)).toBe('3');
  });

  it('redrive migrate to queue slots gives each slot it fills the format of a fresh queue-slot store', async () => {
    const single = open();
    const prefix = single.keys.prefix;
    await single.insertJobs({ jobs: [job({ queue: 'a' }), job({ queue: 'b' })], now: T0 });
    const slotFormats = () => admin!.mget(new RedisKeys(prefix, 1).format, new RedisKeys(prefix, 2).format);
    // format=3 raises the store's own slot no further than 3 (it is at the newest already), and
    // leaves the queue slots the migration fills where a fresh queue-slot store's slots start.
    const url = `${redis.url}?prefix=${prefix}&slots=queue&format=3`;
    try {
      const report = await migrateStore(url);
      expect(report).toMatchObject({ from: LATEST_FORMAT_VERSION, to: LATEST_FORMAT_VERSION });
      expect(report.applied[0]).toMatch(/^queue-slots: 2 queues, 2 jobs/);
      const latest = String(LATEST_FORMAT_VERSION);
      expect(await slotFormats()).toEqual([latest, latest]);
      expect(await admin!.get(single.keys.format)).toBe(latest);
    } finally {
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, `{${prefix}#`);
    }
  });

  it('refuses a version this release does not know', () => {
    expect(() => open({ formatVersion: 99 as never })).toThrow(ValidationError);
  });
});
