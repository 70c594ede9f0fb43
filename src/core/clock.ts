/**
 * Time and randomness are injected everywhere so that tests run on a fake clock and logic never
 * reads `Date.now()` or `Math.random()` directly.
 */

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Schedules `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer created by {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** A source of randomness. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A random identifier of `bytes` random bytes, hex encoded. */
  id(bytes?: number): string;
}

/**
 * The process clock. `now()` is anchored to the wall clock once at start-up and then advances with
 * the monotonic clock, so that a jump of the wall clock (NTP step, manual change) while a process
 * runs does not mass-expire leases or fire delayed jobs early.
 */
export function createSystemClock(): Clock {
  const anchorWall = Date.now();
  const anchorMono = performance.now();
  return {
    now: () => anchorWall + Math.floor(performance.now() - anchorMono),
    // Timers keep the process alive: a running worker or a pending wait is work the process has
    // to finish. Everything that sets one clears it on close.
    setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
    clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  };
}

/** The shared process clock. */
export const systemClock: Clock = createSystemClock();

import { randomBytes } from 'node:crypto';

/** Cryptographically seeded randomness. */
export const systemRandom: Random = {
  next: () => Math.random(),
  id: (bytes = 8) => randomBytes(bytes).toString('hex'),
};

/**
 * A deterministic clock for tests: time moves only when {@link FakeClock.advance} is called, and
 * timers fire in due order as it passes them.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  /** @param start initial time in ms since the epoch */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const timer = this.timers.get(nextId);
      this.timers.delete(nextId);
      this.current = Math.max(this.current, nextAt);
      timer?.fn();
    }
    this.current = target;
  }

  /** Sets the time directly (a wall-clock jump) without firing timers in between. */
  set(time: number): void {
    this.current = time;
  }
}

/** A seeded pseudo-random source (mulberry32) for reproducible tests. */
export function createSeededRandom(seed = 1): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    id: (bytes = 8) => {
      let out = '';
      for (let i = 0; i < bytes; i++)
        out += Math.floor(next() * 256)
          .toString(16)
          .padStart(2, '0');
      return out;
    },
  };
}
