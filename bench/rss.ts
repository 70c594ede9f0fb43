/**
 * Samples the process's resident set size every 100 ms, labelled with the current phase.
 *
 * Timers only fire when the event loop gets a turn; a loop of awaited `add` calls resolves through
 * microtasks alone and never lets them. The peak therefore also takes the kernel's high-water mark
 * (`getrusage` maxrss), which sees every allocation.
 */
import type { RssPoint } from './result.js';

const MB = 1024 * 1024;

export function rssMb(): number {
  return round1(process.memoryUsage.rss() / MB);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export class RssSampler {
  private readonly startedAt = performance.now();
  private readonly points: RssPoint[] = [];
  private readonly timer: NodeJS.Timeout;
  private phase = 'start';
  private sampledPeak = 0;

  constructor(intervalMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Takes a sample now, and labels the following ones `phase`. */
  mark(phase: string): void {
    this.phase = phase;
    this.sample();
  }

  sample(): RssPoint {
    const point = {
      t: round1((performance.now() - this.startedAt) / 1000),
      phase: this.phase,
      rssMb: rssMb(),
    };
    this.points.push(point);
    if (point.rssMb > this.sampledPeak) this.sampledPeak = point.rssMb;
    return point;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Highest sample taken. */
  get sampledPeakMb(): number {
    return this.sampledPeak;
  }

  /** Highest RSS the process ever had: the larger of the samples and the kernel's high-water mark. */
  get peakMb(): number {
    return Math.max(this.sampledPeak, round1((process.resourceUsage().maxRSS * 1024) / MB));
  }

  /** First, last and highest sample of `phase`, and the growth from first to last. */
  phaseSummary(phase: string): { startMb: number; endMb: number; maxMb: number; growthMb: number } {
    const points = this.points.filter((p) => p.phase === phase);
    const startMb = points[0]?.rssMb ?? Number.NaN;
    const endMb = points[points.length - 1]?.rssMb ?? Number.NaN;
    const maxMb = Math.max(...points.map((p) => p.rssMb));
    return { startMb, endMb, maxMb, growthMb: round1(endMb - startMb) };
  }

  /** Samples of `phase`, thinned to at most `maxPoints` evenly spaced ones (first and last kept). */
  timeline(phase?: string, maxPoints = 25): RssPoint[] {
    const points = phase === undefined ? this.points : this.points.filter((p) => p.phase === phase);
    if (points.length <= maxPoints) return [...points];
    const out: RssPoint[] = [];
    for (let i = 0; i < maxPoints; i++) {
      out.push(points[Math.round((i * (points.length - 1)) / (maxPoints - 1))]!);
    }
    return out;
  }
}
