/** ResilientRedis: MULTI/EXEC transactions and the selected database across an outage. */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/core/errors.js';
import { BufferedReply } from '../../src/resilient-redis/events.js';
import { setup } from './resilient-redis-setup.js';

describe('ResilientRedis: transactions and the selected database', () => {
  it('a MULTI/EXEC buffered while open is flushed as one unit', async () => {
    const { rr, redis, goDown, advance } = setup({ bufferNonIdempotent: true });
    await goDown();
    const reply = await rr.transaction([
      ['SET', 'a', '1'],
      ['INCR', 'n'],
    ]);
    expect(reply).toMatchObject({ buffered: true, command: 'MULTI(SET,INCR)', atMostOnce: true });
    redis.mode = 'up';
    await advance(1020);
    const cmds = redis.log.map((e) => e.cmd[0]);
    const m = cmds.indexOf('MULTI');
    expect(cmds.slice(m, m + 4)).toEqual(['MULTI', 'SET', 'INCR', 'EXEC']);
    expect(redis.value('n')).toBe('1');
  });

  it('live transactions return per-command results; read-only ones answer with fallbacks while open', async () => {
    const { rr, goDown } = setup();
    expect(
      await rr.transaction([
        ['SET', 'a', '1'],
        ['GET', 'a'],
      ]),
    ).toEqual([
      [null, 'OK'],
      [null, '1'],
    ]);
    await goDown();
    expect(
      await rr.transaction([
        ['GET', 'a'],
        ['EXISTS', 'a'],
      ]),
    ).toEqual([
      [null, null],
      [null, 0],
    ]);
    await expect(rr.transaction([['PING']])).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('select() during an outage is flushed in order with the writes around it', async () => {
    const { rr, redis, goDown, advance } = setup();
    await rr.select(3);
    await rr.set('before', '1');
    await goDown();
    await rr.set('x', 'in3');
    expect(await rr.select(5)).toBeInstanceOf(BufferedReply);
    await rr.set('y', 'in5');
    redis.mode = 'up';
    await advance(1020);
    expect(redis.value('before', 3)).toBe('1');
    expect(redis.value('x', 3)).toBe('in3');
    expect(redis.value('y', 5)).toBe('in5');
    expect(redis.value('y', 3)).toBeUndefined();
    await rr.set('z', 'live');
    expect(redis.value('z', 5)).toBe('live');
  });
});
