import { Redis, ReplyError } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { deleteKeysWithPrefix, redisService, redisUrl, uniqueKeyPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const redis = await redisService();

describe.skipIf(!redis.available)('ResilientRedis on a real Redis', () => {
  const prefix = uniqueKeyPrefix('rr');
  const opened: ResilientRedis[] = [];
  afterEach(async () => {
    for (const rr of opened.splice(0)) await rr.close();
    const admin = new Redis(redisUrl());
    await deleteKeysWithPrefix(admin, prefix);
    admin.disconnect();
  });
  const connect = () => {
    const rr = ResilientRedis.connect(redisUrl(), { commandTimeoutMs: 1000 });
    opened.push(rr);
    return rr;
  };

  it('refuses a default ioredis client (offline queue and resends on)', () => {
    const plain = new Redis(redisUrl(), { lazyConnect: true });
    expect(() => new ResilientRedis(plain)).toThrow(/client.options.enableOfflineQueue/);
    plain.disconnect();
  });

  it('returns what ioredis returns: transformed replies, error replies as ReplyError without tripping', async () => {
    const rr = connect();
    expect(await rr.call('HSET', `${prefix}h`, 'a', '1', 'b', '2')).toBe(2);
    expect(await rr.hgetall(`${prefix}h`)).toEqual({ a: '1', b: '2' });
    expect(await rr.mget(`${prefix}h`, `${prefix}none`)).toEqual([null, null]);
    for (let i = 0; i < 5; i++) await expect(rr.get(`${prefix}h`)).rejects.toBeInstanceOf(ReplyError);
    expect(rr.stats().state).toBe('closed');
    expect(await rr.incr(`${prefix}n`)).toBe(1);
    expect(await rr.call('XADD', `${prefix}s`, '*', 'f', 'v')).toMatch(/^\d+-\d+$/);
  });

  it('runs transactions as MULTI/EXEC with per-command results', async () => {
    const rr = connect();
    const reply = await rr.transaction([
      ['SET', `${prefix}k`, 'v'],
      ['INCR', `${prefix}k`],
      ['GET', `${prefix}k`],
    ]);
    expect(Array.isArray(reply)).toBe(true);
    const rows = reply as [Error | null, unknown][];
    expect(rows[0]).toEqual([null, 'OK']);
    expect(rows[1]?.[0]).toBeInstanceOf(ReplyError);
    expect(rows[2]).toEqual([null, 'v']);
  });

  it('select() changes the database for the following commands', async () => {
    const rr = connect();
    expect(await rr.select(11)).toBe('OK');
    await rr.set(`${prefix}db`, 'eleven');
    const db11 = new Redis(redisUrl(), { db: 11 });
    expect(await db11.get(`${prefix}db`)).toBe('eleven');
    await deleteKeysWithPrefix(db11, prefix);
    db11.disconnect();
  });

  it('commands issued while the first connection is being made wait for it, in order', async () => {
    const rr = connect();
    expect(rr.client.status).not.toBe('ready');
    const replies = await Promise.all([
      rr.set(`${prefix}o`, '1'),
      rr.set(`${prefix}o`, '2'),
      rr.get(`${prefix}o`),
    ]);
    expect(replies).toEqual(['OK', 'OK', '2']);
    expect(rr.stats().breaker.failures).toBe(0);
  });

  it('close() quits the client it created', async () => {
    const rr = ResilientRedis.connect(redisUrl());
    await rr.get(`${prefix}x`);
    expect(await rr.close()).toEqual([]);
    await waitFor('client ended', () => rr.client.status === 'end');
  });
});
