/**
 * Measures the longest stretch during which timers could not run: a 5 ms interval timer records
 * the gap between its ticks; `stop()` also counts the gap since the last tick.
 */
export class LoopStallMonitor {
  private last = performance.now();
  private longest = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly intervalMs = 5) {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    this.longest = Math.max(this.longest, now - this.last);
    this.last = now;
  }

  /** Stops monitoring; returns the longest stall in ms beyond the timer's interval. */
  stop(): number {
    this.tick();
    clearInterval(this.timer);
    return Math.max(0, Math.round(this.longest - this.intervalMs));
  }
}
