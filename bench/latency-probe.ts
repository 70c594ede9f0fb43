/**
 * Measures enqueue-to-handler-start delay on an idle queue: adds one job, waits until a handler
 * reports it started, pauses a few ms so the worker goes idle again, and repeats.
 *
 * Handler starts are reported with {@link StartTracker.record} (directly, or from IPC messages of
 * a worker in another process). Timestamps are {@link epochMs}.
 */
import { epochMs } from './clock.js';
import { sleep } from './wait.js';

export class StartTracker {
  private readonly starts = new Map<number, number>();
  private readonly waiters = new Map<number, (at: number) => void>();

  /** The handler of job `seq` started at `at` (epoch ms). */
  record(seq: number, at: number): void {
    const waiter = this.waiters.get(seq);
    if (waiter) {
      this.waiters.delete(seq);
      waiter(at);
    } else this.starts.set(seq, at);
  }

  /** When job `seq` started, or undefined if it has not within `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<number | undefined> {
    const at = this.starts.get(seq);
    if (at !== undefined) {
      this.starts.delete(seq);
      return Promise.resolve(at);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(seq);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(seq, (started) => {
        clearTimeout(timer);
        resolve(started);
      });
    });
  }
}

export interface LatencyRun {
  latenciesMs: number[];
  /** Jobs whose start was not reported within the timeout. */
  missed: number;
  seconds: number;
}

export async function probeLatency(options: {
  samples: number;
  gapMs: number;
  tracker: StartTracker;
  enqueue: (seq: number) => Promise<unknown>;
  timeoutMs?: number;
}): Promise<LatencyRun> {
  const { samples, gapMs, tracker, enqueue } = options;
  const latenciesMs: number[] = [];
  let missed = 0;
  const begin = performance.now();
  for (let seq = 0; seq < samples; seq++) {
    await sleep(gapMs);
    const enqueuedAt = epochMs();
    await enqueue(seq);
    const startedAt = await tracker.waitFor(seq, options.timeoutMs ?? 2_000);
    if (startedAt === undefined) missed++;
    else latenciesMs.push(startedAt - enqueuedAt);
  }
  return { latenciesMs, missed, seconds: (performance.now() - begin) / 1000 };
}
