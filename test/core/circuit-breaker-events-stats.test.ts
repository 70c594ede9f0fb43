/** CircuitBreaker: state-change events (and listeners that throw) and stats. */
import { describe, expect, it } from 'vitest';
import type { CircuitStateChange } from '../../src/core/circuit-breaker.js';
import { ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: events and stats', () => {
  it('emits { from, to, at, reason } and supports unsubscribe', async () => {
    const { breaker, clock, fail, t0 } = setup({ failureThreshold: 1, recoveryTimeoutMs: 500 });
    const mine: CircuitStateChange[] = [];
    const off = breaker.onStateChange((e) => mine.push(e));
    await fail();
    expect(mine).toEqual([
      {
        from: { name: 'closed' },
        to: { name: 'open', openedAt: t0, reopenAt: t0 + 500 },
        at: t0,
        reason: 'failure_threshold',
      },
    ]);
    off();
    clock.advance(500);
    breaker.recordSuccess();
    expect(mine).toHaveLength(1);
  });

  it('a throwing listener does not break the breaker or other listeners', async () => {
    const { breaker, fail, events } = setup({ failureThreshold: 1 });
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const after: string[] = [];
    breaker.onStateChange((e) => after.push(e.to.name));
    await fail();
    expect(breaker.state.name).toBe('open');
    expect(events).toHaveLength(1);
    expect(after).toEqual(['open']);
  });

  it('reports stats', async () => {
    const { breaker, clock, fail, t0 } = setup({ failureThreshold: 2, name: 'redis' });
    expect(breaker.stats()).toEqual({
      name: 'redis',
      state: 'closed',
      consecutiveFailures: 0,
      successes: 0,
      failures: 0,
      rejections: 0,
      probeTimeouts: 0,
      halfOpenInFlight: 0,
      window: undefined,
      lastStateChangeAt: t0,
      lastStateChangeReason: 'created',
    });
    await breaker.execute(ok);
    clock.advance(10);
    await fail(2);
    await breaker.execute(ok).catch(() => {});
    expect(breaker.stats()).toMatchObject({
      state: 'open',
      consecutiveFailures: 2,
      successes: 1,
      failures: 2,
      rejections: 1,
      lastStateChangeAt: t0 + 10,
      lastStateChangeReason: 'failure_threshold',
    });
  });
});
