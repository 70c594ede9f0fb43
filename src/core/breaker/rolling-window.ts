/**
 * A rolling count of call outcomes over a time window, kept in fixed buckets so memory does not
 * grow with throughput. Used by the circuit breaker's failure-rate rule.
 */

/** Totals of a {@link RollingOutcomeWindow}. */
export type OutcomeTotals = { calls: number; failures: number };

/**
 * Counts calls and failures in the last `windowMs` (at bucket granularity: outcomes expire in
 * steps of `windowMs / buckets`, so the window covers between `windowMs - windowMs / buckets` and
 * `windowMs` of history).
 */
export class RollingOutcomeWindow {
  private readonly bucketMs: number;
  private readonly index: Float64Array;
  private readonly calls: Uint32Array;
  private readonly failures: Uint32Array;

  /**
   * @param windowMs window length in ms (positive)
   * @param buckets number of buckets (positive integer), default 10
   */
  constructor(
    readonly windowMs: number,
    private readonly buckets = 10,
  ) {
    this.bucketMs = Math.max(1, windowMs / buckets);
    this.index = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
    this.calls = new Uint32Array(buckets);
    this.failures = new Uint32Array(buckets);
  }

  /** Records one outcome at time `now`. */
  record(now: number, failed: boolean): void {
    const idx = Math.floor(now / this.bucketMs);
    const slot = ((idx % this.buckets) + this.buckets) % this.buckets;
    if (this.index[slot] !== idx) {
      this.index[slot] = idx;
      this.calls[slot] = 0;
      this.failures[slot] = 0;
    }
    this.calls[slot] = (this.calls[slot] ?? 0) + 1;
    if (failed) this.failures[slot] = (this.failures[slot] ?? 0) + 1;
  }

  /** Calls and failures whose bucket is still inside the window at `now`. */
  totals(now: number): OutcomeTotals {
    const current = Math.floor(now / this.bucketMs);
    let calls = 0;
    let failures = 0;
    for (let slot = 0; slot < this.buckets; slot++) {
      const idx = this.index[slot] ?? Number.NEGATIVE_INFINITY;
      if (idx > current - this.buckets && idx <= current) {
        calls += this.calls[slot] ?? 0;
        failures += this.failures[slot] ?? 0;
      }
    }
    return { calls, failures };
  }

  /** Forgets every outcome. */
  clear(): void {
    this.index.fill(Number.NEGATIVE_INFINITY);
    this.calls.fill(0);
    this.failures.fill(0);
  }
}
