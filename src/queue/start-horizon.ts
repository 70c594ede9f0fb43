/**
 * A worker's start marks: how the store learns which claimed jobs may have started, without a
 * write per job. Each job a worker claims in a batch gets a start sequence number (in claim order,
 * which is also the order the worker starts them); the worker starts a job only once the store
 * holds a start horizon above its number. The horizon is sent ahead, about `START_AHEAD_MS` of work
 * or of the time the store took to take a raised horizon lately, whichever is longer (at least
 * `concurrency` jobs, at most `MAX_START_AHEAD`), on each claim, and by a small write when the worker gets close
 * to it. If the worker dies, the jobs at or beyond the stored horizon are known never to have
 * started (`prefetched`); the others may have (`running`).
 */
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';

/** How much work (by average handler time) the horizon runs ahead of the next job to start. */
const START_AHEAD_MS = 5;
/** The most jobs the horizon runs ahead: the most prefetched jobs that can become suspects. */
export const MAX_START_AHEAD = 1000;

/** The start marks of one worker. */
export class StartHorizon {
  /** The number the next claimed job gets. Starts from the clock so a restarted worker with the same id never reuses one. */
  private nextSeq: number;
  /** The horizon the store holds (jobs numbered below it may start). */
  private durable = Number.NEGATIVE_INFINITY;
  private advancing: Promise<void> | undefined;
  /** The horizon a claim in flight carries (the store holds it once the claim lands). */
  private claiming = Number.NEGATIVE_INFINITY;
  /**
   * How long the store took to take a raised horizon lately (ms): the latest, or half the previous
   * figure when that is more, so a slow write raises it at once and it falls back over a few
   * faster ones. A store that answers in the same turn (SQLite) keeps it near zero.
   */
  private writeMs = 0;

  constructor(
    private readonly store: Store,
    private readonly workerId: string,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {
    this.nextSeq = clock.now() * 1000;
  }

  /**
   * How many jobs ahead of the next one to start the horizon should reach: the jobs of
   * `START_AHEAD_MS` of work, or of the time the store took to take a raised horizon lately when
   * that is longer. A server answers a write after the ones sent before it (a failure batch, a
   * claim), and a horizon that runs out before its raise lands stops every slot until it does.
   */
  lookahead(concurrency: number, avgDurationMs: number): number {
    if (Number.isNaN(avgDurationMs)) return concurrency;
    const aheadMs = Math.max(START_AHEAD_MS, this.writeMs);
    const perSlot = Math.ceil(aheadMs / Math.max(avgDurationMs, 0.001));
    return Math.min(MAX_START_AHEAD, Math.max(concurrency, perSlot * concurrency));
  }

  /** Notes how long a raise of the horizon sent at `sentAt` took to land. */
  private landed(sentAt: number): void {
    this.writeMs = Math.max(this.clock.now() - sentAt, this.writeMs / 2);
  }

  /** The start marks of a claim, given the number of the next job to start (if one is buffered). */
  claimMarks(nextToStart: number | undefined, lookahead: number): { firstSeq: number; horizon: number } {
    const horizon = (nextToStart ?? this.nextSeq) + lookahead;
    this.claiming = horizon;
    return { firstSeq: this.nextSeq, horizon };
  }

  /** The claim in flight failed: the store did not take its horizon. */
  claimFailed(): void {
    this.claiming = Number.NEGATIVE_INFINITY;
  }

  /** A batch claimed with `marks` returned `count` jobs (numbered from `marks.firstSeq`). */
  claimed(marks: { firstSeq: number; horizon: number }, count: number): void {
    this.claiming = Number.NEGATIVE_INFINITY;
    if (count === 0) return;
    this.nextSeq = marks.firstSeq + count;
    this.durable = Math.max(this.durable, marks.horizon);
  }

  /** Whether the job numbered `seq` may start now. */
  mayStart(seq: number): boolean {
    return seq < this.durable;
  }

  /**
   * Whether the horizon is within half a lookahead of the next job to start, counting the one a
   * claim in flight brings (a worker that claims while it still holds jobs would otherwise write
   * a horizon of its own just before the claim's lands).
   */
  isClose(nextToStart: number, lookahead: number): boolean {
    return Math.max(this.durable, this.claiming) - nextToStart < lookahead / 2;
  }

  /**
   * Raises the stored horizon to `nextToStart + lookahead` (single-flight); `then` runs after a
   * successful write. A failed write is reported; the next dispatch asks again.
   */
  advance(nextToStart: number, lookahead: number, then: () => void): void {
    if (this.advancing) return;
    const horizon = nextToStart + lookahead;
    if (horizon <= this.durable) return;
    const sentAt = this.clock.now();
    this.advancing = this.store.advanceStartHorizon({ workerId: this.workerId, horizon, now: sentAt }).then(
      () => {
        this.landed(sentAt);
        this.durable = Math.max(this.durable, horizon);
        this.advancing = undefined;
        then();
      },
      (error: unknown) => {
        this.advancing = undefined;
        this.onError(error);
      },
    );
  }
}
