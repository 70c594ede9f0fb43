/** Timeouts and interruptible sleeps on the injected clock. */

import type { Clock, TimerHandle } from '../core/clock.js';
import { RedisTimeoutError, withTimeout } from '../redis/timeout.js';

/** Settles promises within a deadline and sleeps that `interruptAll()` cuts short. */
export class Timing {
  private readonly sleepers = new Set<{ timer: TimerHandle; resolve: () => void }>();

  /** @param onTimeout called once per timed-out promise (for counters) */
  constructor(
    private readonly clock: Clock,
    private readonly onTimeout: () => void = () => {},
  ) {}

  /**
   * `promise`, or a {@link RedisTimeoutError} after `ms`. A late settlement of `promise` is
   * absorbed (no unhandled rejection).
   */
  timed<T>(promise: Promise<T>, ms: number): Promise<T> {
    return withTimeout(promise, ms, 'command', this.clock, this.onTimeout);
  }

  /** Waits for `promise` at most `ms` (without a timeout error); its timer is cleared either way. */
  async within(promise: Promise<unknown>, ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([
      promise,
      new Promise<void>((resolve) => {
        timer = this.clock.setTimeout(resolve, ms);
      }),
    ]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  /** Resolves after `ms`, or at once on {@link Timing.interruptAll}. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: this.clock.setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Ends every sleep now. */
  interruptAll(): void {
    for (const sleeper of this.sleepers) {
      this.clock.clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
  }
}
