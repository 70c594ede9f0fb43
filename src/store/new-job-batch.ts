/**
 * What the stores ask of a batch of new jobs before choosing how to insert it.
 */
import type { NewJob } from './job-store.js';

/**
 * Whether `jobs[start..end)` differ in nothing but their payload (the usual bulk add), so a store
 * can bind the shared attributes once.
 */
export function sameJobAttributes(jobs: readonly NewJob[], start = 0, end = jobs.length): boolean {
  const a = jobs[start]!;
  const backoff = JSON.stringify(a.backoff);
  for (let i = start + 1; i < end; i++) {
    const b = jobs[i]!;
    if (
      b.queue !== a.queue ||
      b.name !== a.name ||
      b.priority !== a.priority ||
      b.runAt !== a.runAt ||
      b.maxAttempts !== a.maxAttempts ||
      b.timeoutMs !== a.timeoutMs ||
      b.replayOf !== a.replayOf ||
      (b.backoff !== a.backoff && JSON.stringify(b.backoff) !== backoff)
    ) {
      return false;
    }
  }
  return true;
}
