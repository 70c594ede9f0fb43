/**
 * Time and randomness are injected everywhere so that tests run on a fake clock and logic never
 * reads `Date.now()` or `Math.random()` directly.
 */

/** A source of time and timers. */
export interface Clock {
  /**
   * Milliseconds since the Unix epoch, read from the wall clock each time: every time redrive
   * persists (leases, due times, timestamps) comes from here, so that processes started at
   * different moments agree, even after the wall clock was stepped or the host suspended.
   */
  now(): number;
  /**
   * Milliseconds on a clock that never jumps (origin unspecified), for measuring intervals in this
   * process only (heartbeat lag, rate-limit refills). Optional: {@link intervalNow} falls back to
   * {@link Clock.now} for clocks without it.
   */
  monotonicNow?(): number;
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

/** The time to measure an interval from: the clock's monotonic time when it has one. */
export function intervalNow(clock: Clock): number {
  return clock.monotonicNow ? clock.monotonicNow() : clock.now();
}

/**
 * The process clock. `now()` reads the wall clock every time: a time that is persisted and compared
 * by other processes (a lease expiry, a due time) must be on the clock they read too. Anchoring it
 * once and advancing it monotonically would leave processes started before and after a wall-clock
 * step (NTP, a host suspend) disagreeing for the rest of their lives, and healthy leases looking
 * expired to the newer ones. Intervals within this process use `monotonicNow()`.
 */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonicNow: () => performance.now(),
    // Timers keep the process alive: a running worker or a pending wait is work the process has
    // to finish. Everything that sets one clears it on close.
    setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
    clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  };
}

/** The shared process clock. */
export const systemClock: Clock = createSystemClock();

import { randomBytes } from 'node:crypto';

/** Random bytes drawn from the OS per refill; ids are cut from it (one syscall per ~500 ids). */
const ID_POOL_BYTES = 4096;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/**
 * `bytes` random bytes as hex, from a pool of CSPRNG output: the same randomness as one
 * `randomBytes` call per id, without its per-call cost (a failure storm mints an id per job).
 */
function randomHex(bytes: number): string {
  if (bytes > ID_POOL_BYTES / 8) return randomBytes(bytes).toString('hex');
  if (idPoolOffset + bytes > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  const hex = idPool.toString('hex', idPoolOffset, idPoolOffset + bytes);
  idPoolOffset += bytes;
  return hex;
}

/** Cryptographically seeded randomness. */
export const systemRandom: Random = {
  next: () => Math.random(),
  id: (bytes = 8) => randomHex(bytes),
};

/**
 * A deterministic clock for tests: time moves only when {@link FakeClock.advance} is called, and
 * timers fire in due order as it passes them.
 */
export class FakeClock implements Clock {
  private current: number;
  private monotonic = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  /** @param start initial time in ms since the epoch */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves with {@link FakeClock.advance} and forward {@link FakeClock.set}; wall-clock steps leave it. */
  monotonicNow(): number {
    return this.monotonic;
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
      this.monotonic += Math.max(0, nextAt - this.current);
      this.current = Math.max(this.current, nextAt);
      timer?.fn();
    }
    this.monotonic += Math.max(0, target - this.current);
    this.current = target;
  }

  /**
   * Sets the time directly without firing timers in between, as when the event loop was blocked:
   * a forward move passes on the monotonic clock too (a backward one does not).
   */
  set(time: number): void {
    this.monotonic += Math.max(0, time - this.current);
    this.current = time;
  }

  /**
   * Steps the wall clock by `deltaMs` (an NTP step, a manual change, a host resuming from suspend)
   * without firing timers and without moving the monotonic clock.
   */
  stepWallClock(deltaMs: number): void {
    this.current += deltaMs;
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
