/**
 * Shared setup of the CircuitBreaker tests: a breaker on a fake clock that records its state
 * changes, calls that fail or succeed, and a promise settled from outside to keep a call in flight.
 */
import { expect } from 'vitest';
import { CircuitBreaker, type CircuitStateChange } from '../../src/core/circuit-breaker.js';
import { FakeClock } from '../../src/core/clock.js';

/** A call that always fails with `boom`. */
export const boom = () => Promise.reject(new Error('boom'));
/** A call that always succeeds with `ok`. */
export const ok = () => Promise.resolve('ok');

/** A breaker on a fake clock, its recorded state changes, and `fail(n)` to run n failing calls. */
export function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
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
export function deferred<T = string>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
