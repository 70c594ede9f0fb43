/**
 * Shared setup of the ResilientRedis unit tests: a ResilientRedis over a FakeRedis on a fake clock,
 * with every event it emits recorded, and steps to advance time or take Redis down.
 */
import { expect } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { ResilientRedisEvents } from '../../src/resilient-redis/events.js';
import type { ResilientRedisOptions } from '../../src/resilient-redis/options.js';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { FakeRedis } from './fake-redis.js';

/** Lets pending promise callbacks run (no time passes). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A ResilientRedis over a FakeRedis on a fake clock (circuit opens after two failures), and its recorded events. */
export function setup(options: ResilientRedisOptions = {}) {
  const clock = new FakeClock();
  const redis = new FakeRedis();
  const rr = new ResilientRedis(redis, {
    clock,
    commandTimeoutMs: 100,
    probeTimeoutMs: 50,
    breaker: { failureThreshold: 2, recoveryTimeoutMs: 1000 },
    flush: { ratePerSecond: 1000, burst: 1000 },
    ...options,
  });
  const events: { type: keyof ResilientRedisEvents; e: unknown }[] = [];
  for (const type of [
    'state',
    'fallback',
    'buffer.added',
    'buffer.rejected',
    'buffer.flushed',
    'buffer.flush_error',
    'buffer.flush_failed',
    'buffer.drained',
    'buffer.discarded',
    'ambiguous',
    'probe',
  ] as const) {
    rr.on(type, (e) => events.push({ type, e }));
  }
  const of = (type: keyof ResilientRedisEvents) => events.filter((x) => x.type === type).map((x) => x.e);
  /** Advances the fake clock in steps, letting promise callbacks run between them. */
  const advance = async (ms: number, step = 10) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await flush();
    }
  };
  /** Opens the circuit: Redis goes down and two writes fail to send (they are buffered). */
  const goDown = async () => {
    redis.mode = 'down';
    await rr.call('SET', 'down1', '1');
    await flush();
    expect(rr.stats().state).toBe('open');
  };
  return { clock, redis, rr, events, of, advance, goDown };
}
