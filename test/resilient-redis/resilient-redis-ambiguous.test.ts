/** ResilientRedis: ambiguous outcomes of live and flushed writes, and which are resent. */
import { describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError } from '../../src/resilient-redis/errors.js';
import { setup } from './resilient-redis-setup.js';

describe('ResilientRedis: ambiguous outcomes', () => {
  it('a live write whose connection drops before the reply rejects with AmbiguousOutcomeError and is not resent', async () => {
    const { rr, redis, of, advance } = setup({ bufferNonIdempotent: true });
    redis.mode = 'lost';
    const error = await rr.incr('n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect(error).toMatchObject({ code: 'AMBIGUOUS_OUTCOME', details: { source: 'live', timedOut: false } });
    redis.mode = 'up';
    await advance(3000);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(redis.value('n')).toBe('1');
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'live', willResend: false })]);
  });

  it('a live write that times out settles at commandTimeoutMs as ambiguous', async () => {
    const { rr, redis, advance } = setup();
    redis.mode = 'hang';
    let settled: unknown;
    rr.set('k', 'v').then(
      (v) => {
        settled = v;
      },
      (e: unknown) => {
        settled = e;
      },
    );
    await advance(90);
    expect(settled).toBeUndefined();
    await advance(20);
    expect(settled).toBeInstanceOf(AmbiguousOutcomeError);
    expect(settled).toMatchObject({ details: { timedOut: true } });
    expect(rr.stats().counters.timeouts).toBe(1);
  });

  it('a non-idempotent buffered write whose flush is ambiguous is dropped and reported, never resent', async () => {
    const { rr, redis, goDown, advance, of } = setup({ bufferNonIdempotent: true });
    await goDown();
    await rr.incr('n');
    await rr.set('after', 'x');
    redis.mode = 'up';
    redis.modeFor = { INCR: 'lost' };
    await advance(1020);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'flush', willResend: false })]);
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[0])).toEqual(['SET']);
    redis.modeFor = {};
    await advance(1100);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(redis.value('n')).toBe('1');
    expect(redis.value('after')).toBe('x');
    expect(rr.stats().counters.ambiguous).toBe(1);
  });

  it('an idempotent buffered write whose flush is ambiguous stays at the front (reported) and is resent', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.set('k', 'v');
    redis.mode = 'up';
    redis.modeFor = { SET: 'lost_unapplied' };
    await advance(1020);
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'flush', willResend: true })]);
    expect(rr.stats().buffer.entries).toBe(2);
    redis.modeFor = {};
    await advance(1100);
    expect(redis.value('k')).toBe('v');
    expect(rr.stats().buffer.entries).toBe(0);
  });
});
