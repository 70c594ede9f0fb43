/**
 * Enqueues wrapped in a producer span: the span starts in the caller's context, its context goes
 * into the jobs' headers, and it ends with the stored job's id (or the error).
 */
import type { Tracing } from './tracing.js';

type Headers = Readonly<Record<string, string>>;

/**
 * Runs one enqueue of job `jobName` into `queue` inside a `send` span; `write` gets the headers to
 * store (the job's own plus the trace context) and resolves with the job's id.
 */
export async function tracedSend<T extends { id: string }>(
  tracing: Tracing,
  queue: string,
  jobName: string,
  headers: Headers | undefined,
  write: (headers: Record<string, string>) => Promise<T> | T,
): Promise<T> {
  const span = tracing.startSend(queue, jobName);
  try {
    const result = await write(tracing.inject(span, headers));
    tracing.endSend(span, result.id);
    return result;
  } catch (error) {
    tracing.endSend(span, undefined, error);
    throw error;
  }
}

/**
 * Runs a bulk enqueue of `entries` inside one `send` span (`messaging.batch.message_count`);
 * `write` gets each entry's headers. Entries without headers of their own share one object, so a
 * store still sees a uniform batch.
 */
export async function tracedSendBatch<E, T>(
  tracing: Tracing,
  queue: string,
  entries: readonly E[],
  headersOf: (entry: E) => Headers | undefined,
  write: (headers: (Record<string, string> | undefined)[]) => Promise<T[]>,
): Promise<T[]> {
  const span = tracing.startSend(queue, undefined, entries.length);
  try {
    const shared = tracing.inject(span, undefined);
    const headers = entries.map((entry) => {
      const own = headersOf(entry);
      return own === undefined ? shared : tracing.inject(span, own);
    });
    const results = await write(headers);
    tracing.endSend(span, undefined);
    return results;
  } catch (error) {
    tracing.endSend(span, undefined, error);
    throw error;
  }
}
