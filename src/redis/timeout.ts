/**
 * The one timeout error of redrive's Redis code: a call was sent (or was waiting to be) and no
 * reply came within its deadline. Its outcome is unknown ({@link classifyRedisFailure} says
 * `ambiguous`).
 */

import { type Clock, createSystemClock } from '../core/clock.js';

/** No reply from Redis within `timeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly operation: string = 'command',
  ) {
    super(`${operation}: no reply from Redis within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** The timer functions a deadline needs (a {@link Clock}, or the global timers by default). */
type Timers = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

const GLOBAL_TIMERS: Timers = createSystemClock();

/**
 * `promise`, or a {@link RedisTimeoutError} after `ms`. A late settlement of `promise` is absorbed
 * (no unhandled rejection). `onTimeout` runs once when the deadline passes (for counters).
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  operation?: string,
  timers: Timers = GLOBAL_TIMERS,
  onTimeout?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timers.setTimeout(() => {
      onTimeout?.();
      reject(new RedisTimeoutError(ms, operation));
    }, ms);
    promise.then(
      (value) => {
        timers.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        timers.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
