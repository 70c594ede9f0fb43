/** ResilientRedis: a closed circuit: commands pass through, error replies and refused commands. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { ReplyError } from './fake-redis.js';
import { setup } from './resilient-redis-setup.js';

describe('ResilientRedis: closed circuit', () => {
  it('passes commands through and returns replies', async () => {
    const { rr, redis } = setup();
    expect(await rr.set('k', 'v')).toBe('OK');
    expect(await rr.get('k')).toBe('v');
    expect(await rr.call('hset', 'h', 'a', '1')).toBe(1);
    expect(await rr.hgetall('h')).toEqual({ a: '1' });
    expect(redis.log.map((e) => e.cmd[0])).toEqual(['SET', 'GET', 'HSET', 'HGETALL']);
    expect(rr.stats().counters.calls).toBe(4);
  });

  it("rethrows Redis's error replies without counting them against the breaker", async () => {
    const { rr } = setup();
    await rr.rpush('list', 'a');
    for (let i = 0; i < 5; i++) await expect(rr.get('list')).rejects.toBeInstanceOf(ReplyError);
    expect(rr.stats().state).toBe('closed');
    expect(rr.stats().breaker.failures).toBe(0);
  });

  it('refuses connection-state commands with a ValidationError naming them', async () => {
    const { rr } = setup();
    for (const cmd of ['SELECT', 'multi', 'SUBSCRIBE', 'BLPOP', 'XREADGROUP', 'WATCH']) {
      await expect(rr.call(cmd, '1')).rejects.toThrow(ValidationError);
    }
    await expect(rr.transaction([['SET', 'a', '1'], ['EXEC']])).rejects.toThrow(/commands\[1\]/);
  });

  it('a read that fails to send returns its fallback and counts against the breaker', async () => {
    const { rr, redis, of } = setup();
    redis.mode = 'down';
    expect(await rr.get('k')).toBeNull();
    expect(rr.stats().breaker.failures).toBe(1);
    expect(of('fallback')).toEqual([expect.objectContaining({ command: 'GET', reason: 'failed' })]);
  });
});
