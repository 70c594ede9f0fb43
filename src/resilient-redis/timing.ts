/** Timeouts and interruptible sleeps on the injected clock. */

import type { Clock, TimerHandle } from '../core/clock.js';
import { CommandTimeoutError } from './errors.js';

/** Settles promises within a deadline and sleeps that `interruptAll()` cuts short. */
export class Timing {
  private readonly sleepers = new Set<{ timer: TimerHandle; resolve: () => void }>();

  /** @param onTimeout called once per timed-out promise (for counters) */
  constructor(
    private readonly clock: Clock,
    private readonly onTimeout: () => void = () => {},
  ) {}

  /**
   * `promise`, or a {@link CommandTimeoutError} after `ms`. A late settlement of `promise` is
   * absorbed (no unhandled rejection).
   */
  timed<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.onTimeout();
        reject(new CommandTimeoutError(ms));
      }, ms);
      promise.then(
        (value) => {
          this.clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
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
