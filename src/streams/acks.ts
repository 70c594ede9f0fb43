/**
 * Batched XACK: ids of handled messages are collected and sent together, one XACK in flight at a
 * time (acks that arrive meanwhile form the next batch). A failed XACK keeps its ids for the next
 * flush (XACK is idempotent), retried after a short delay.
 */

import type { Clock, TimerHandle } from '../core/clock.js';

/** Most ids in one XACK (a bound on the command's size). */
export const MAX_IDS_PER_XACK = 1000;

/** Collects ids and acks them in batches. */
export class AckBatcher {
  private ids: string[] = [];
  private inFlight = false;
  private scheduled = false;
  private retry: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly send: (ids: string[]) => Promise<void>,
    private readonly onAcked: (ids: string[]) => void,
    private readonly onError: (error: unknown) => void,
    private readonly batchSize: number,
    private readonly clock: Clock,
    private readonly retryMs = 100,
  ) {}

  /** Ids waiting for an XACK (not counting the one in flight). */
  get waiting(): number {
    return this.ids.length;
  }

  /** Queues an id; a full batch goes at once, a partial one at the end of this turn of the event loop. */
  add(id: string): void {
    this.ids.push(id);
    if (this.ids.length >= this.batchSize) {
      void this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /**
   * Sends what is waiting (unless an XACK is in flight: its completion sends the rest; or a failed
   * one's retry delay is running, unless `force`).
   */
  async flush(force = false): Promise<void> {
    if (this.inFlight || this.ids.length === 0) return;
    if (this.retry !== undefined) {
      if (!force) return;
      this.clock.clearTimeout(this.retry);
      this.retry = undefined;
    }
    this.inFlight = true;
    const ids = this.ids.length <= MAX_IDS_PER_XACK ? this.ids : this.ids.slice(0, MAX_IDS_PER_XACK);
    this.ids = ids === this.ids ? [] : this.ids.slice(MAX_IDS_PER_XACK);
    let ok = false;
    try {
      await this.send(ids);
      ok = true;
      this.onAcked(ids);
    } catch (error) {
      this.ids = ids.concat(this.ids);
      this.onError(error);
    } finally {
      this.inFlight = false;
    }
    if (this.ids.length === 0 || this.stopped) return;
    if (ok) void this.flush();
    else if (this.retry === undefined) {
      this.retry = this.clock.setTimeout(() => {
        this.retry = undefined;
        void this.flush();
      }, this.retryMs);
    }
  }

  /** Flushes until nothing waits, or until `deadline` (ms since the epoch, on the clock). */
  async drain(deadline: number): Promise<void> {
    while ((this.ids.length > 0 || this.inFlight) && this.clock.now() < deadline) {
      if (!this.inFlight) await this.flush(true);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops retrying. */
  stop(): void {
    this.stopped = true;
    if (this.retry !== undefined) this.clock.clearTimeout(this.retry);
    this.retry = undefined;
  }
}
