import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitStateChange } from '../../src/core/circuit-breaker.js';
import { FakeClock } from '../../src/core/clock.js';
import { CircuitOpenError, NotFoundError } from '../../src/core/errors.js';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, ...options });
  const events: CircuitStateChange[] = [];
  breaker.onStateChange((e) => events.push(e));
  const fail = async (n = 1) => {
    for (let i = 0; i < n; i++) await expect(breaker.execute(boom)).rejects.toThrow('boom');
  };
  return { clock, breaker, events, fail, t0: clock.now() };
}

/** A promise settled from outside, to keep a call in flight. */
function deferred<T = string>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CircuitBreaker: closed → open', () => {
  it('opens after failureThreshold consecutive failures (default 5)', async () => {
    const { breaker, fail, t0 } = setup();
    await fail(4);
    expect(breaker.state).toEqual({ name: 'closed' });
    await fail(1);
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0, reopenAt: t0 + 10_000 });
  });

  it('a success resets the consecutive count', async () => {
    const { breaker, fail } = setup({ failureThreshold: 3 });
    await fail(2);
    await breaker.execute(ok);
    await fail(2);
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats().consecutiveFailures).toBe(2);
    await fail(1);
    expect(breaker.state.name).toBe('open');
  });

  it('refuses calls when open with CircuitOpenError, without calling fn', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, name: 'payments' });
    await fail();
    clock.advance(4000);
    let called = false;
    const err = await breaker
      .execute(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).status).toBe(503);
    expect((err as CircuitOpenError).message).toContain('payments');
    expect((err as CircuitOpenError).details).toMatchObject({ state: 'open', retryAfterMs: 6000 });
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.isAllowed()).toBe(false);
    expect(breaker.stats().rejections).toBe(2);
  });

  it('passes values and errors through', async () => {
    const { breaker } = setup();
    await expect(breaker.execute(async () => 42)).resolves.toBe(42);
    await expect(breaker.execute(boom)).rejects.toThrow('boom');
  });

  it('counts a synchronous throw as a failure', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state.name).toBe('open');
  });
});

describe('CircuitBreaker: recovery', () => {
  it('moves to half_open lazily once the recovery timeout has passed', async () => {
    const { breaker, clock, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    clock.advance(4999);
    expect(breaker.state.name).toBe('open');
    expect(clock.pendingTimers).toBe(0); // no timer is needed for the transition
    clock.advance(1);
    expect(events).toHaveLength(1);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 0 });
    expect(events.map((e) => e.reason)).toEqual(['failure_threshold', 'recovery_timeout']);
  });

  it('closes when the probe succeeds', async () => {
    const { breaker, clock, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toEqual({ name: 'closed' });
    expect(events.map((e) => [e.from.name, e.to.name, e.reason])).toEqual([
      ['closed', 'open', 'failure_threshold'],
      ['open', 'half_open', 'recovery_timeout'],
      ['half_open', 'closed', 'probes_succeeded'],
    ]);
    expect(breaker.stats().consecutiveFailures).toBe(0);
  });

  it('reopens when the probe fails, with a fresh recovery timeout', async () => {
    const { breaker, clock, fail, t0 } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1500);
    await fail();
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0 + 1500, reopenAt: t0 + 2500 });
    expect(breaker.stats().lastStateChangeReason).toBe('probe_failed');
  });

  it('admits only one probe at a time by default', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1000);
    const probe = deferred();
    const running = breaker.execute(() => probe.promise);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.isAllowed()).toBe(false);
    probe.resolve('done');
    await expect(running).resolves.toBe('done');
    expect(breaker.state.name).toBe('closed');
  });
});

describe('CircuitBreaker: concurrent half-open limit', () => {
  it('admits halfOpenMaxCalls probes and closes only when all succeed', async () => {
    const { breaker, clock, fail } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxCalls: 2,
    });
    await fail();
    clock.advance(100);
    const a = deferred();
    const b = deferred();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 2 });
    expect(breaker.tryAcquire()).toBe(false);
    a.resolve('a');
    await pa;
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    // one success recorded + one in flight = the budget; no third probe
    expect(breaker.tryAcquire()).toBe(false);
    b.resolve('b');
    await pb;
    expect(breaker.state.name).toBe('closed');
  });

  it('reopens on any probe failure, and ignores the other probe afterwards', async () => {
    const { breaker, clock, fail, events } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxCalls: 2,
    });
    await fail();
    clock.advance(100);
    const a = deferred();
    const b = deferred();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    a.reject(new Error('probe down'));
    await expect(pa).rejects.toThrow('probe down');
    expect(breaker.state.name).toBe('open');
    b.resolve('late');
    await expect(pb).resolves.toBe('late');
    expect(breaker.state.name).toBe('open'); // a stale success must not close it
    expect(events.at(-1)?.reason).toBe('probe_failed');
  });

  it('a released probe frees its slot without closing or opening', () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure(new Error('x'));
    clock.advance(100);
    const permit = breaker.tryAcquire();
    expect(permit).not.toBe(false);
    expect(breaker.tryAcquire()).toBe(false);
    if (permit) permit.release();
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 0 });
    const next = breaker.tryAcquire();
    expect(next).toMatchObject({ issuedIn: 'half_open' });
  });
});

describe('CircuitBreaker: probe timeout', () => {
  it('fails a probe that never settles and aborts its signal', async () => {
    const { breaker, clock, fail, events, t0 } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 1000,
      probeTimeoutMs: 3000,
    });
    await fail();
    clock.advance(1000);
    let seen: AbortSignal | undefined;
    const never = breaker.execute((signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    void never;
    expect(breaker.state.name).toBe('half_open');
    clock.advance(2999);
    expect(breaker.state.name).toBe('half_open');
    expect(seen?.aborted).toBe(false);
    clock.advance(1);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DOMException);
    expect(seen?.reason).toMatchObject({ name: 'TimeoutError' });
    expect(events.at(-1)).toMatchObject({ to: { name: 'open' }, reason: 'probe_timeout', at: t0 + 4000 });
    expect(breaker.stats()).toMatchObject({ probeTimeouts: 1, state: 'open' });
    // and it recovers: after the recovery timeout a new probe is admitted and can close the circuit
    clock.advance(1000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state.name).toBe('closed');
  });

  it('expires a stuck low-level permit lazily even if no timer fires', () => {
    const { breaker, clock, t0 } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 1000,
      probeTimeoutMs: 2000,
    });
    breaker.recordFailure();
    clock.advance(1000);
    const stuck = breaker.tryAcquire();
    expect(stuck).not.toBe(false);
    // jump far ahead without firing timers: the probe expired at t0+3000, reopened until t0+4000
    clock.set(t0 + 3500);
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0 + 3000, reopenAt: t0 + 4000 });
    clock.set(t0 + 60_000);
    const fresh = breaker.tryAcquire();
    expect(fresh).toMatchObject({ issuedIn: 'half_open' });
    // the stuck permit settling late changes nothing
    if (stuck) stuck.success();
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    if (fresh) fresh.success();
    expect(breaker.state.name).toBe('closed');
  });

  it('clears the probe timer when the probe settles', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 10 });
    await fail();
    clock.advance(10);
    const p = breaker.execute(ok);
    expect(clock.pendingTimers).toBe(1);
    await p;
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('CircuitBreaker: failure rate', () => {
  const failureRate = { threshold: 0.5, windowMs: 10_000, minimumCalls: 10 };

  it('does not open before minimumCalls, then opens at the threshold', async () => {
    const { breaker, fail, events } = setup({ failureThreshold: 100, failureRate });
    for (let i = 0; i < 4; i++) {
      await fail();
      await breaker.execute(ok);
    }
    await fail(); // 5 failures of 9 calls: above the rate, below minimumCalls
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 9, failures: 5, failureRate: 5 / 9 });
    await breaker.execute(ok); // 5 of 10 = 0.5, but only failures trip the rule
    expect(breaker.state.name).toBe('closed');
    await fail(); // 6 of 11
    expect(breaker.state.name).toBe('open');
    expect(events[0]?.reason).toBe('failure_rate');
  });

  it('stays closed below the threshold', async () => {
    const { breaker, fail } = setup({ failureThreshold: 100, failureRate });
    for (let i = 0; i < 20; i++) {
      await fail();
      await breaker.execute(ok);
      await breaker.execute(ok);
    }
    expect(breaker.state.name).toBe('closed');
  });

  it('forgets outcomes older than the window', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 100, failureRate });
    await fail(9);
    clock.advance(11_000);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, failureRate: 0 });
    await fail(1); // would be 10 of 10 if old failures still counted
    expect(breaker.state.name).toBe('closed');
  });
});

describe('CircuitBreaker: isFailure, abort and stale permits', () => {
  it('errors rejected by isFailure count as successes', async () => {
    const { breaker } = setup({ failureThreshold: 2, isFailure: (e) => !(e instanceof NotFoundError) });
    for (let i = 0; i < 5; i++) {
      await expect(breaker.execute(() => Promise.reject(new NotFoundError('nope')))).rejects.toThrow('nope');
    }
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats()).toMatchObject({ successes: 5, failures: 0 });
    breaker.recordFailure(new NotFoundError('x'));
    breaker.recordFailure(new Error('real'));
    breaker.recordFailure(new Error('real'));
    expect(breaker.state.name).toBe('open');
  });

  it('a call aborted by the caller records no outcome', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const controller = new AbortController();
    const p = breaker.execute(
      (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      controller.signal,
    );
    controller.abort(new Error('caller gave up'));
    await expect(p).rejects.toThrow('caller gave up');
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats()).toMatchObject({ failures: 0, successes: 0 });
  });

  it('throws the reason of an already-aborted signal without calling fn', async () => {
    const { breaker } = setup();
    let called = false;
    await expect(
      breaker.execute(
        async () => {
          called = true;
        },
        AbortSignal.abort(new Error('already')),
      ),
    ).rejects.toThrow('already');
    expect(called).toBe(false);
  });

  it('a closed-era failure settling while half_open does not reopen the circuit', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    const slow = breaker.tryAcquire();
    breaker.recordFailure(); // opens
    clock.advance(100);
    expect(breaker.state.name).toBe('half_open');
    if (slow) slow.failure(new Error('late'));
    expect(breaker.state.name).toBe('half_open');
    expect(breaker.stats().failures).toBe(2);
  });

  it('settling a permit twice counts once', () => {
    const { breaker } = setup({ failureThreshold: 2 });
    const p = breaker.tryAcquire();
    if (!p) throw new Error('expected a permit');
    p.failure();
    p.failure();
    p.success();
    expect(p.settled).toBe(true);
    expect(breaker.stats()).toMatchObject({ failures: 1, successes: 0, consecutiveFailures: 1 });
    expect(breaker.state.name).toBe('closed');
  });
});

describe('CircuitBreaker: low-level record API', () => {
  it('recordSuccess in half_open without a running probe acts as the probe', () => {
    const { breaker, clock } = setup({ failureThreshold: 2, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.isAllowed()).toBe(false);
    clock.advance(100);
    expect(breaker.isAllowed()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state.name).toBe('closed');
  });

  it('recordFailure in half_open settles the running probe and reopens', () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    clock.advance(100);
    const probe = breaker.tryAcquire();
    breaker.recordFailure(new Error('x'));
    expect(breaker.state.name).toBe('open');
    expect(probe).toMatchObject({ settled: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('outcomes while open change nothing but the counters', () => {
    const { breaker, events } = setup({ failureThreshold: 1 });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state.name).toBe('open');
    expect(events).toHaveLength(1);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 2 });
  });
});

describe('CircuitBreaker: operator controls', () => {
  it('forceOpen refuses calls regardless of time until reset', async () => {
    const { breaker, clock, events } = setup();
    breaker.forceOpen('maintenance');
    expect(breaker.state).toEqual({ name: 'forced_open', reason: 'maintenance' });
    clock.advance(1_000_000);
    const err = await breaker.execute(ok).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).details).toMatchObject({ state: 'forced_open', reason: 'maintenance' });
    breaker.forceOpen('still maintenance');
    expect(breaker.state).toEqual({ name: 'forced_open', reason: 'still maintenance' });
    breaker.reset();
    expect(breaker.state).toEqual({ name: 'closed' });
    expect(events.map((e) => e.reason)).toEqual(['forced', 'reset']);
  });

  it('disable lets everything through and ignores failures until reset', async () => {
    const { breaker, fail } = setup({ failureThreshold: 1 });
    breaker.disable();
    await fail(10);
    expect(breaker.state).toEqual({ name: 'disabled' });
    expect(breaker.isAllowed()).toBe(true);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    breaker.reset();
    await fail(1);
    expect(breaker.state.name).toBe('open');
  });

  it('reset while closed clears the consecutive count', async () => {
    const { breaker, fail } = setup({ failureThreshold: 3 });
    await fail(2);
    breaker.reset();
    await fail(2);
    expect(breaker.state.name).toBe('closed');
  });
});

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

describe('CircuitBreaker: options', () => {
  it.each([
    [{ failureThreshold: 0 }, 'failureThreshold'],
    [{ failureThreshold: 1.5 }, 'failureThreshold'],
    [{ recoveryTimeoutMs: -1 }, 'recoveryTimeoutMs'],
    [{ halfOpenMaxCalls: 0 }, 'halfOpenMaxCalls'],
    [{ probeTimeoutMs: 0 }, 'probeTimeoutMs'],
    [{ probeTimeoutMs: Number.POSITIVE_INFINITY }, 'probeTimeoutMs'],
    [{ failureRate: { threshold: 0, windowMs: 1000, minimumCalls: 1 } }, 'failureRate.threshold'],
    [{ failureRate: { threshold: 0.5, windowMs: 0, minimumCalls: 1 } }, 'failureRate.windowMs'],
    [{ failureRate: { threshold: 0.5, windowMs: 1000, minimumCalls: 0 } }, 'failureRate.minimumCalls'],
  ])('rejects %o naming %s', (opts, field) => {
    expect(() => new CircuitBreaker(opts)).toThrowError(expect.objectContaining({ field }));
  });

  it('Infinity disables the consecutive-failure rule', async () => {
    const { breaker, fail } = setup({ failureThreshold: Number.POSITIVE_INFINITY });
    await fail(50);
    expect(breaker.state.name).toBe('closed');
  });
});

describe('wall-clock steps', () => {
  it('an open circuit recovers after recoveryTimeoutMs of elapsed time, whatever the wall clock does', async () => {
    const { clock, breaker, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    expect(breaker.state.name).toBe('open');
    // An hour back: the circuit is not held open for an extra hour.
    clock.stepWallClock(-3_600_000);
    clock.advance(4999);
    expect(breaker.isAllowed()).toBe(false);
    const state = breaker.state;
    // What it reports stays on the wall clock, consistent with now: 1 ms to go.
    expect(state.name === 'open' && state.reopenAt - clock.now()).toBe(1);
    clock.advance(1);
    expect(breaker.isAllowed()).toBe(true);
    expect(breaker.state.name).toBe('half_open');
    expect(events.at(-1)).toMatchObject({ reason: 'recovery_timeout', at: clock.now() });
  });

  it('a wall clock stepped forward does not end the recovery timeout early', async () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    clock.stepWallClock(3_600_000);
    expect(breaker.isAllowed()).toBe(false);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ details: { retryAfterMs: 5000 } });
  });

  it('the failure-rate window counts the last windowMs of elapsed time across a step back', async () => {
    const { clock, breaker, fail } = setup({
      failureThreshold: Number.POSITIVE_INFINITY,
      failureRate: { threshold: 0.5, windowMs: 10_000, minimumCalls: 4 },
    });
    await fail(3);
    clock.stepWallClock(-3_600_000);
    clock.advance(11_000);
    // The three failures left the window 11 s ago: one more failure is one call, below minimumCalls.
    await fail();
    expect(breaker.stats().window).toMatchObject({ calls: 1, failures: 1 });
    expect(breaker.state.name).toBe('closed');
  });
});
