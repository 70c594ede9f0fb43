/**
 * The shared Redis substrate: one failure classification (and the store's translation of it), one
 * timeout error, one script loader. Each user (store, StreamProcessor, ResilientRedis) relies on
 * these answering the same way.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { classifyRedisFailure } from '../../src/redis/failure.js';
import { ScriptFamily } from '../../src/redis/scripts.js';
import { RedisTimeoutError, withTimeout } from '../../src/redis/timeout.js';
import { classifyFailure } from '../../src/resilient-redis/errors.js';
import { translateRedisError } from '../../src/store/redis/redis-errors.js';
import { deleteKeysWithPrefix, redisService, redisUrl, uniqueKeyPrefix } from '../support/services.js';

const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('classifyRedisFailure', () => {
  it('answers the same for every unavailability reply, with or without the ERR prefix', () => {
    for (const m of [
      'MISCONF x',
      'LOADING x',
      'READONLY x',
      'CLUSTERDOWN x',
      'TRYAGAIN x',
      'ERR MISCONF x',
    ]) {
      expect(classifyRedisFailure(reply(m))).toBe('unavailable');
    }
    expect(classifyRedisFailure(reply('ERR Error running script'))).toBe('reply');
  });

  it('a connection never made is not sent; a dropped one or a timeout is ambiguous', () => {
    expect(classifyRedisFailure(socketError('ECONNREFUSED'))).toBe('not_sent');
    expect(
      classifyRedisFailure(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe('not_sent');
    expect(classifyRedisFailure(socketError('ECONNRESET'))).toBe('ambiguous');
    expect(classifyRedisFailure(new RedisTimeoutError(10, 'EVALSHA'))).toBe('ambiguous');
  });

  it('the deprecated classifyFailure is the same function', () => {
    expect(classifyFailure).toBe(classifyRedisFailure);
  });
});

describe('the store translation of a classified failure', () => {
  it('MISCONF (a full disk refusing writes) is a 503, not a bug', () => {
    const out = translateRedisError(
      reply('MISCONF Errors writing to the AOF file'),
      'insert-jobs',
      'redis://x',
    );
    expect(out).toBeInstanceOf(StoreUnavailableError);
    expect((out as StoreUnavailableError).details).toMatchObject({ outcome: 'unavailable' });
  });

  it('says whether the call may have been applied', () => {
    const refused = translateRedisError(socketError('ECONNREFUSED'), 'claimJobs', 'redis://x');
    expect((refused as StoreUnavailableError).message).not.toMatch(/may or may not/);
    const lost = translateRedisError(new Error('Connection is closed.'), 'completeJobs', 'redis://x');
    expect((lost as StoreUnavailableError).message).toMatch(/may or may not have been applied/);
    expect((lost as StoreUnavailableError).details).toMatchObject({ outcome: 'ambiguous', ambiguous: true });
  });

  it('script errors and programming errors pass through unchanged', () => {
    const bug = new TypeError('x is not a function');
    expect(translateRedisError(bug, 'op', 'redis://x')).toBe(bug);
    const scriptError = reply('ERR user_script:1: bad');
    expect(translateRedisError(scriptError, 'op', 'redis://x')).toBe(scriptError);
  });
});

describe('withTimeout', () => {
  it('rejects with the one timeout error on the injected clock, and absorbs a late settlement', async () => {
    const clock = new FakeClock(0);
    let late: (v: string) => void = () => {};
    const pending = withTimeout(new Promise<string>((r) => (late = r)), 100, 'XREADGROUP', clock);
    clock.advance(100);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 100, operation: 'XREADGROUP' });
    late('too late');
  });
});

const redis = await redisService();

describe.skipIf(!redis.available)('ScriptFamily on a real Redis', () => {
  const prefix = uniqueKeyPrefix('scripts');
  const client = new Redis(redisUrl());
  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    client.disconnect();
  });

  it('reads the header and runs the script on any connection it is given', async () => {
    const family = new ScriptFamily('redrive_stream', ['renew-claims', 'delete-idle-consumers'] as const, [
      new URL('../../src/streams/lua/', import.meta.url),
    ]);
    expect(family.load().get('renew-claims')?.numberOfKeys).toBe(1);
    const stream = `${prefix}s`;
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    await client.xadd(stream, '*', 'n', '1');
    const read = await client.xreadgroup('GROUP', 'g', 'me', 'STREAMS', stream, '>');
    const id = read![0]![1][0]![0];
    expect(await family.run(client, 'renew-claims', [stream], ['g', 'me', id, '0-1'])).toEqual([1, ['0-1']]);
    // A second connection registers the family on first use; "other" holds nothing.
    const second = new Redis(redisUrl());
    try {
      expect(await family.run(second, 'renew-claims', [stream], ['g', 'other', id])).toEqual([0, [id]]);
    } finally {
      second.disconnect();
    }
  });

  it('the stream scripts are .lua files with the same header as the store scripts', () => {
    const dir = fileURLToPath(new URL('../../src/streams/lua/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
    expect(files.sort()).toEqual(['delete-idle-consumers.lua', 'renew-claims.lua']);
    for (const file of files) {
      const header = readFileSync(`${dir}${file}`, 'utf8');
      expect(header, file).toMatch(new RegExp(`^-- ${file.replace('.', '\\.')}: `));
      expect(header, file).toMatch(/^-- KEYS\[1\]/m);
      expect(header, file).toMatch(/^-- ARGV\[1\]/m);
      expect(header, file).toMatch(/^-- Returns /m);
    }
  });

  it('says where it looked when the files are missing', () => {
    const family = new ScriptFamily('x', ['nope'] as const, [new URL('./no-such-dir/', import.meta.url)]);
    expect(() => family.load()).toThrow(/Lua scripts were not found/);
  });
});
