/**
 * ResilientRedis: an open circuit: read fallbacks, buffered and refused writes, and the bounded
 * buffer.
 */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/core/errors.js';
import { NonIdempotentWriteRejectedError, WriteBufferFullError } from '../../src/resilient-redis/errors.js';
import { BufferedReply } from '../../src/resilient-redis/events.js';
import { setup } from './resilient-redis-setup.js';

describe('ResilientRedis: open circuit', () => {
  it('reads return their declared neutral fallbacks without touching Redis', async () => {
    const { rr, redis, goDown } = setup();
    await goDown();
    const sent = redis.log.length;
    expect(await rr.get('k')).toBeNull();
    expect(await rr.mget('a', 'b', 'c')).toEqual([null, null, null]);
    expect(await rr.exists('a', 'b')).toBe(0);
    expect(await rr.hgetall('h')).toEqual({});
    expect(await rr.call('HMGET', 'h', 'f1', 'f2')).toEqual([null, null]);
    expect(await rr.call('LRANGE', 'l', 0, -1)).toEqual([]);
    expect(await rr.call('ttl', 'k')).toBe(-2);
    expect(redis.log.length).toBe(sent);
    expect(rr.stats().counters.fallbacks).toBe(7);
  });

  it('fallback values are fresh copies (a caller mutating one does not change the next)', async () => {
    const { rr, goDown } = setup();
    await goDown();
    const h = await rr.hgetall('h');
    h.x = 'y';
    expect(await rr.hgetall('h')).toEqual({});
  });

  it('reads without a fallback and unknown commands are refused with CircuitOpenError', async () => {
    const { rr, goDown } = setup();
    await goDown();
    await expect(rr.call('PING')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(rr.call('FT.SEARCH', 'idx', '*')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('idempotent writes are buffered in FIFO order and resolve to a BufferedReply', async () => {
    const { rr, goDown, of } = setup();
    await goDown();
    const r1 = await rr.set('a', '1');
    const r2 = await rr.del('b');
    const r3 = await rr.call('XADD', 's', '5-1', 'f', 'v');
    expect(r1).toBeInstanceOf(BufferedReply);
    expect([r1, r2, r3].map((r) => (r as BufferedReply).id)).toEqual([2, 3, 4]);
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[0])).toEqual(['SET', 'SET', 'DEL', 'XADD']);
    expect(of('buffer.added')).toHaveLength(4);
    expect(rr.stats().buffer.entries).toBe(4);
  });

  it('non-idempotent writes are refused by default, and nothing is sent', async () => {
    const { rr, redis, goDown, of } = setup();
    await goDown();
    await expect(rr.incr('n')).rejects.toBeInstanceOf(NonIdempotentWriteRejectedError);
    await expect(rr.rpush('l', 'x')).rejects.toBeInstanceOf(NonIdempotentWriteRejectedError);
    await expect(rr.call('XADD', 's', '*', 'f', 'v')).rejects.toMatchObject({
      code: 'NON_IDEMPOTENT_REJECTED',
    });
    expect(redis.sent('INCR')).toEqual([]);
    expect(rr.stats().counters.nonIdempotentRejected).toBe(3);
    expect(of('buffer.rejected')).toHaveLength(3);
  });

  it('with bufferNonIdempotent, non-idempotent writes are buffered and marked at-most-once', async () => {
    const { rr, goDown } = setup({ bufferNonIdempotent: true });
    await goDown();
    const reply = (await rr.incr('n')) as BufferedReply;
    expect(reply.atMostOnce).toBe(true);
    expect(rr.bufferedWrites().at(-1)).toMatchObject({ atMostOnce: true, kind: 'command' });
  });

  it('the buffer is bounded by entries and by bytes, and refuses explicitly when full', async () => {
    const { rr, goDown, of } = setup({ buffer: { maxEntries: 3, maxBytes: 10_000 } });
    await goDown();
    await rr.set('a', '1');
    await rr.set('b', '2');
    const full = await rr.set('c', '3').catch((e: unknown) => e);
    expect(full).toBeInstanceOf(WriteBufferFullError);
    expect(full).toMatchObject({ code: 'WRITE_BUFFER_FULL', limit: 'entries', status: 503 });
    expect(rr.stats().buffer.entries).toBe(3);
    expect(of('buffer.rejected')).toEqual([expect.objectContaining({ reason: 'full' })]);

    const small = setup({ buffer: { maxEntries: 100, maxBytes: 400 } });
    await small.goDown();
    await expect(small.rr.set('big', 'x'.repeat(500))).rejects.toMatchObject({ limit: 'bytes' });
    expect(await small.rr.set('ok', 'y')).toBeInstanceOf(BufferedReply);
    expect(small.rr.stats().counters.bufferFull).toBe(1);
  });
});
