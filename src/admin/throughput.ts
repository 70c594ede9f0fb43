/**
 * Throughput of each queue, sampled from the store every 2 s into a ring buffer: how many jobs
 * completed and how many were dead-lettered between two samples. Counting in the store (not in
 * this process's workers) sees every worker of every process sharing the store.
 */
import type { Store } from '../store/store.js';

/** One sample: jobs that completed and failed for good since the previous one. */
export interface ThroughputPoint {
  /** Sample time, ms since the epoch. */
  t: number;
  completed: number;
  failed: number;
}

/** Options of {@link ThroughputSampler}. */
export interface ThroughputOptions {
  /** Sampling interval. Default 2000 ms. */
  intervalMs?: number;
  /** Samples kept per queue. Default 1800 (an hour at 2 s). */
  capacity?: number;
  /** Queues tracked; more are ignored. Default 100. */
  maxQueues?: number;
  /** The clock. Default `Date.now`. */
  now?: () => number;
}

class Ring {
  private readonly t: Float64Array;
  private readonly completed: Float64Array;
  private readonly failed: Float64Array;
  private head = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.t = new Float64Array(capacity);
    this.completed = new Float64Array(capacity);
    this.failed = new Float64Array(capacity);
  }

  push(point: ThroughputPoint): void {
    const i = (this.head + this.size) % this.capacity;
    this.t[i] = point.t;
    this.completed[i] = point.completed;
    this.failed[i] = point.failed;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  /** Points with `t > since`, oldest first. */
  since(since: number): ThroughputPoint[] {
    const out: ThroughputPoint[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % this.capacity;
      if (this.t[i]! > since)
        out.push({ t: this.t[i]!, completed: this.completed[i]!, failed: this.failed[i]! });
    }
    return out;
  }
}

/** Samples per-queue completions and dead letters. */
export class ThroughputSampler {
  readonly intervalMs: number;
  private readonly capacity: number;
  private readonly maxQueues: number;
  private readonly now: () => number;
  private readonly rings = new Map<string, Ring>();
  private readonly last = new Map<string, { t: number; completed: number; failed: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    options: ThroughputOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.capacity = options.capacity ?? 1800;
    this.maxQueues = options.maxQueues ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Starts sampling (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; waits for a sample under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** Takes one sample now (a sample already under way is joined, not repeated). */
  sample(): Promise<void> {
    this.sampling ??= this.takeSample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async takeSample(): Promise<void> {
    let queues: { name: string }[];
    try {
      queues = await this.store.listQueues();
    } catch {
      return; // The store is down: /readyz says so; the chart shows a gap.
    }
    for (const { name } of queues.slice(0, this.maxQueues)) {
      let counts: Awaited<ReturnType<Store['countJobs']>>;
      try {
        counts = await this.store.countJobs({ queue: name });
      } catch {
        return;
      }
      const t = this.now();
      const previous = this.last.get(name);
      this.last.set(name, { t, completed: counts.completed, failed: counts.dead_lettered });
      if (!previous) continue;
      let ring = this.rings.get(name);
      if (!ring) {
        ring = new Ring(this.capacity);
        this.rings.set(name, ring);
      }
      // Retention deletes completed jobs, so a count can drop: clamp at zero.
      ring.push({
        t,
        completed: Math.max(0, counts.completed - previous.completed),
        failed: Math.max(0, counts.dead_lettered - previous.failed),
      });
    }
  }

  /** The samples of the last `windowSeconds`, oldest first. */
  points(queue: string, windowSeconds: number): ThroughputPoint[] {
    return this.rings.get(queue)?.since(this.now() - windowSeconds * 1000) ?? [];
  }

  /** Completions and dead letters per second over the last `windowSeconds`. */
  rate(queue: string, windowSeconds = 60): { completedPerSec: number; failedPerSec: number } {
    const points = this.points(queue, windowSeconds);
    if (points.length === 0) return { completedPerSec: 0, failedPerSec: 0 };
    const spanMs = Math.max(this.intervalMs, points.length * this.intervalMs);
    const completed = points.reduce((n, p) => n + p.completed, 0);
    const failed = points.reduce((n, p) => n + p.failed, 0);
    const round = (n: number) => Math.round((n / (spanMs / 1000)) * 100) / 100;
    return { completedPerSec: round(completed), failedPerSec: round(failed) };
  }
}
