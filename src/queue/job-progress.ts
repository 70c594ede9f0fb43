/**
 * `job.updateProgress(value)`: a handler reports how far it got. The value (a number or a small
 * JSON value) is stored on the job, fenced by the attempt's token like a completion, so the
 * dashboard and `getJob` show it; then the worker emits `job.progress`, which reaches
 * {@link QueueEvents} listeners in other processes when the worker publishes its events.
 */
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { MAX_PROGRESS_BYTES } from '../core/job-event.js';
import type { RedriveEvents, TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import { LeaseLostError, type RunningJob } from './active-job.js';

/** Reports progress of a worker's running jobs (see {@link RunningJob.updateProgress}). */
export interface ProgressReporter {
  report(job: RunningJob<unknown>, value: unknown): Promise<void>;
}

/** The progress value as stored: JSON within {@link MAX_PROGRESS_BYTES}. */
export function progressJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined)
    throw new ValidationError('progress', 'must be a JSON value (a number or a small object)');
  if (Buffer.byteLength(json) > MAX_PROGRESS_BYTES) {
    throw new ValidationError('progress', `must serialize to at most ${MAX_PROGRESS_BYTES} bytes of JSON`);
  }
  return json;
}

/** Writes progress through the store and announces it. */
export class JobProgress implements ProgressReporter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly emitter: TypedEmitter<RedriveEvents>,
    private readonly leaseLost: (jobId: string, message: string) => void,
  ) {}

  async report(job: RunningJob<unknown>, value: unknown): Promise<void> {
    const json = progressJson(value);
    if (job.lost || job.settled) throw new LeaseLostError(job.id);
    const result = await this.store.updateJobProgress({
      id: job.id,
      token: job.token,
      progressJson: json,
      now: this.clock.now(),
    });
    if (!result.ok) {
      const error = new LeaseLostError(job.id);
      if (!job.lost) {
        job.lost = true;
        job.abort(error);
        this.leaseLost(job.id, `progress refused (${result.reason}): another worker owns the job now`);
      }
      throw error;
    }
    this.emitter.emit('job.progress', {
      queue: job.queue,
      jobId: job.id,
      name: job.name,
      attempt: job.attempt,
      progress: JSON.parse(json) as unknown,
    });
  }
}
