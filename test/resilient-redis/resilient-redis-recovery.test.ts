/**
 * ResilientRedis: recovery: the half-open probe and the ordered, rate-limited flush of the
 * buffer.
 */
import { describe, expect, it } from 'vitest';
import { BufferedReply } from '../../src/resilient-redis/events.js';
import { ReplyError } from './fake-redis.js';
import { setup } from './resilient-redis-setup.js';

describe('ResilientRedis: recovery', () => {
  it('recovers only after a PING probe in half-open, then flushes the buffer in order', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.set('a', '1');
    await rr.set('a', '2');
    await rr.del('b');
    redis.mode = 'up';
    await advance(990);
    expect(redis.sent('PING')).toEqual([]);
    expect(rr.stats().state).toBe('open');
    await advance(20);
    expect(redis.sent('PING')).toHaveLength(1);
    expect(rr.stats().state).toBe('closed');
    await advance(10);
    const writes = redis.log.filter((e) => e.cmd[0] !== 'PING').map((e) => e.cmd.join(' '));
    expect(writes).toEqual(['SET down1 1', 'SET a 1', 'SET a 2', 'DEL b']);
    expect(redis.value('a')).toBe('2');
    expect(rr.stats().buffer.entries).toBe(0);
    expect(of('buffer.drained')).toEqual([{ flushed: 4, replayed: 4 }]);
    expect(of('state').map((c) => (c as { to: { name: string } }).to.name)).toEqual([
      'open',
      'half_open',
      'closed',
    ]);
  });

  it('a probe that never answers times out, the circuit reopens, and nothing is flushed', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    redis.mode = 'hang';
    await advance(1000);
    expect(redis.hanging.map((h) => h.cmd[0])).toEqual(['PING']);
    await advance(60);
    expect(rr.stats().state).toBe('open');
    expect(of('probe')).toEqual([expect.objectContaining({ ok: false })]);
    // A stuck connection is reset (RST, not a graceful close that lets its unsent bytes reach
    // Redis later) so that ioredis reconnects.
    expect([redis.resets, redis.destroys, redis.disconnects]).toEqual([1, 0, 0]);
    expect(redis.sent('SET')).toEqual([]);
    redis.mode = 'up';
    await advance(1100);
    expect(rr.stats().state).toBe('closed');
    expect(redis.sent('SET')).toEqual([['SET', 'down1', '1']]);
  });

  it('the flush is rate-limited by a token bucket', async () => {
    const { rr, redis, goDown, advance } = setup({ flush: { ratePerSecond: 10, burst: 1 } });
    await goDown();
    for (let i = 0; i < 4; i++) await rr.set(`k${i}`, String(i));
    redis.mode = 'up';
    await advance(1010);
    const count = () => redis.sent('SET').length;
    const afterProbe = count();
    expect(afterProbe).toBeLessThanOrEqual(1);
    await advance(250);
    expect(count()).toBeGreaterThanOrEqual(afterProbe + 2);
    expect(count()).toBeLessThanOrEqual(afterProbe + 3);
    await advance(300);
    expect(count()).toBe(5);
  });

  it('the flush stops at the first failure, keeps that write at the front, reopens, and resumes in order', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    for (let i = 1; i <= 4; i++) await rr.set('k', String(i));
    redis.mode = 'up';
    let n = 0;
    const realCall = redis.call.bind(redis);
    redis.call = (command, ...args) => {
      if (command === 'set' && args[1] === '2' && n++ === 0) {
        return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
      }
      return realCall(command, ...args);
    };
    await advance(1020);
    expect(rr.stats().state).toBe('open');
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[2])).toEqual(['2', '3', '4']);
    // the first failure is goDown's own flush attempt; the second is SET k 2
    expect(of('buffer.flush_failed').at(-1)).toMatchObject({ kept: true, command: 'SET' });
    expect(redis.value('k')).toBe('1');
    await advance(1100);
    expect(rr.stats().state).toBe('closed');
    expect(redis.sent('SET').map((c) => `${c[1]}=${c[2]}`)).toEqual(['down1=1', 'k=1', 'k=2', 'k=3', 'k=4']);
    expect(redis.value('k')).toBe('4');
  });

  it('writes made while the buffer flushes queue behind it (nothing overtakes)', async () => {
    const { rr, redis, goDown, advance } = setup({ flush: { ratePerSecond: 10, burst: 1 } });
    await goDown();
    await rr.set('k', 'old');
    redis.mode = 'up';
    await advance(1010);
    expect(rr.stats().state).toBe('closed');
    expect(rr.stats().buffer.entries).toBeGreaterThan(0);
    const reply = await rr.set('k', 'new');
    expect(reply).toBeInstanceOf(BufferedReply);
    await expect(rr.incr('n')).rejects.toMatchObject({ details: { reason: 'buffer_draining' } });
    await advance(500);
    expect(redis.value('k')).toBe('new');
    expect(rr.stats().buffer.entries).toBe(0);
    expect(await rr.set('k', 'live')).toBe('OK');
  });

  it('an error reply to a flushed write removes it (reported), and the flush continues', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.call('GET', 'x'); // a read: fallback, not buffered
    await rr.call('SET', 'a', '1');
    redis.mode = 'up';
    redis.modeFor = {};
    const realCall = redis.call.bind(redis);
    redis.call = (command, ...args) =>
      command === 'set' && args[0] === 'a'
        ? Promise.reject(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))
        : realCall(command, ...args);
    await advance(1020);
    expect(of('buffer.flush_error')).toHaveLength(1);
    expect(rr.stats().counters.flushErrors).toBe(1);
    expect(rr.stats().buffer.entries).toBe(0);
    expect(rr.stats().state).toBe('closed');
  });
});
