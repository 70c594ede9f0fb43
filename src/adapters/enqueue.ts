/**
 * Enqueueing from a request handler, shared by the adapters: the job is built from the host's
 * request, and the answer is `202 { id, queue, name, created }`, or the error's status with the
 * admin API's error shape when the input is refused (a `RedriveError`: validation, backpressure).
 */
import type { RedriveError } from '../core/errors.js';
import type { AddOptions, EnqueuedJob, Queue } from '../queue/queue.js';

/** What to enqueue for a request: the job's name and payload, and optionally its options. */
export interface EnqueueSpec<Payload> {
  name: string;
  payload: Payload;
  options?: AddOptions;
}

/** Builds the job of a request (may read the host's parsed body, its user, its route params). */
export type BuildJob<Request, Payload> = (
  request: Request,
) => EnqueueSpec<Payload> | Promise<EnqueueSpec<Payload>>;

/** An HTTP answer for the adapter to write. */
export interface EnqueueAnswer {
  status: number;
  body: EnqueuedJob | { error: { code: string; message: string; details?: Record<string, unknown> } };
}

function isRedriveError(error: unknown): error is RedriveError {
  const e = error as Partial<RedriveError> | null;
  return typeof e?.code === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 600;
}

/**
 * Enqueues the job `build` makes of `request`. Errors that are not a `RedriveError` (a bug in
 * `build`, a store outage) are thrown, for the host's error handling.
 */
export async function enqueueFor<Request, Payload>(
  queue: Queue<Payload>,
  build: BuildJob<Request, Payload>,
  request: Request,
): Promise<EnqueueAnswer> {
  try {
    const spec = await build(request);
    const job = await queue.add(spec.name, spec.payload, spec.options);
    return { status: 202, body: job };
  } catch (error) {
    if (!isRedriveError(error)) throw error;
    const { code, message, details } = error;
    return {
      status: error.status,
      body: { error: details ? { code, message, details } : { code, message } },
    };
  }
}
