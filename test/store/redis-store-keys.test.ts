/**
 * Redis store on a real server: key layout and cluster slot, scripts (no KEYS, one .lua file
 * each), application clients and refused prefixes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SCRIPT_NAMES } from '../../src/store/redis/scripts.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** CRC16/XMODEM, the Redis Cluster key hash: the slot is crc16(tag) % 16384. */
function keySlot(key: string): number {
  const open = key.indexOf('{');
  let tag = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) tag = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe.skipIf(!redis.available)('RedisStore', () => {
  const { admin, open } = redisStoreHarness(redis);

  describe('keys and scripts', () => {
    it('keeps every key of a store under its one hash tag, so a store is one cluster slot', async () => {
      const store = open();
      await store.insertJobs({
        jobs: [job({ queue: 'emails', idempotencyKey: 'k' }), job({ queue: 'sms', runAt: T0 + 9999 })],
        now: T0,
      });
      const [claimed] = await store.claimJobs({
        queue: 'emails',
        workerId: 'w',
        limit: 1,
        leaseMs: 1000,
        now: T0,
        claimId: 'c1',
      });
      await store.failJob({
        id: claimed!.id,
        token: claimed!.token,
        attempt: { attempt: 1, outcome: 'failed', startedAt: T0, endedAt: T0, workerId: 'w' },
        outcome: {
          kind: 'dead_letter',
          deadLetter: {
            id: 'dl-1',
            domain: 'mail',
            failureType: 'permanent',
            entityType: null,
            entityId: null,
            userId: null,
            errorClass: 'Error',
            errorCode: null,
            errorMessage: 'boom',
            errorStack: null,
            fingerprint: 'fp',
            fingerprintVersion: 1,
            snapshot: null,
            requestData: null,
            responseData: null,
            metadata: {},
            nextActionHint: null,
            recommendedAction: null,
            workerId: 'w',
            handlerVersion: null,
            maxReplays: 1,
            firstFailedAt: T0,
            deadLetteredAt: T0,
            expiresAt: T0 + 1000,
          },
        },
        now: T0,
      });
      await store.resolveDeadLetters({ ids: ['dl-1'], now: T0, actor: 'ops' });
      await store.pauseQueue({ queue: 'sms' });

      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await admin!.scan(cursor, 'MATCH', `*${store.keys.prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(10);
      for (const key of keys) expect(key.startsWith(store.keys.base)).toBe(true);
      expect(new Set(keys.map(keySlot)).size).toBe(1);
      // A queue name with braces cannot move its keys to another slot.
      expect(keySlot(store.keys.queue('{evil}', 'wait'))).toBe(keySlot(store.keys.queues));
    });

    it('never uses the KEYS command', () => {
      const dir = fileURLToPath(new URL('../../src/store/redis/', import.meta.url));
      const files = [
        ...readdirSync(dir).map((f) => `${dir}${f}`),
        ...readdirSync(`${dir}lua`).map((f) => `${dir}lua/${f}`),
        ...readdirSync(`${dir}lua/lib`).map((f) => `${dir}lua/lib/${f}`),
      ].filter((f) => f.endsWith('.ts') || f.endsWith('.lua'));
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toMatch(/redis\.call\(\s*['"]KEYS['"]/i);
        expect(text, file).not.toMatch(/\b(client|redis|admin|pipeline|multi)\.keys\(/);
        expect(text, file).not.toMatch(/call\(\s*['"]KEYS['"]/i);
      }
    });

    it('has one .lua file per script, each with a header giving KEYS, ARGV and the return shape', () => {
      const dir = fileURLToPath(new URL('../../src/store/redis/lua/', import.meta.url));
      const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
      expect(files.sort()).toEqual(SCRIPT_NAMES.map((n) => `${n}.lua`).sort());
      for (const file of files) {
        const header = readFileSync(`${dir}${file}`, 'utf8').split('\n--!include')[0]!;
        expect(header, file).toMatch(new RegExp(`^-- ${file.replace('.', '\\.')}: `));
        expect(header, file).toMatch(/^-- KEYS\[1\]/m);
        expect(header, file).toMatch(/^-- ARGV\[1\]/m);
        expect(header, file).toMatch(/^-- Returns /m);
      }
    });

    it('works on an application client and leaves it open, without its listeners, when closed', async () => {
      const client = new Redis(redis.url);
      const before = client.listenerCount('error');
      const store = open({ client });
      await store.insertJobs({ jobs: [job()], now: T0 });
      expect((await store.countJobs({ queue: 'q' })).waiting).toBe(1);
      await store.close();
      expect(client.listenerCount('error')).toBe(before);
      expect(await client.ping()).toBe('PONG');
      await client.quit();
    });

    it('refuses a prefix with braces and a client with a keyPrefix', () => {
      expect(() => new RedisStore({ url: redis.url, prefix: 'a{b}' })).toThrow(ValidationError);
      const client = new Redis(redis.url, { keyPrefix: 'x:', lazyConnect: true });
      expect(() => new RedisStore({ client })).toThrow(ValidationError);
      client.disconnect();
    });
  });
});
