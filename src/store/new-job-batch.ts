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
      (b.backoff !== a.backoff && JSON.stringify(b.backoff) !== backoff) ||
      ((b.headers ?? null) !== (a.headers ?? null) && headersJson(b) !== headersJson(a))
    ) {
      return false;
    }
  }
  return true;
}

/**
 * A job's headers as the JSON text stores keep, or null without any (an empty map counts as none,
 * so a job without headers costs nothing extra to store).
 */
export function headersJson(job: NewJob): string | null {
  const headers = job.headers;
  if (headers === undefined || headers === null) return null;
  for (const _ in headers) return JSON.stringify(headers);
  return null;
}

/** Headers read back from their JSON text (null stays null). */
export function parseHeaders(text: string | null | undefined): Record<string, string> | null {
  return text === null || text === undefined || text === ''
    ? null
    : (JSON.parse(text) as Record<string, string>);
}
