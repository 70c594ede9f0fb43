/**
 * The maintainer a worker runs unless told `maintenance: false`: a candidate for its store's
 * leadership (see src/maintenance/). Whichever process leads runs the store's housekeeping; the
 * others only stand by. The worker's own settings give the defaults: the rescuer and the cleaner
 * run every `recoveryIntervalMs`; the leadership lease lasts three of those but no longer than a
 * job lease (`leaseMs`), so when the leader dies with a job, the job waits for recovery about one
 * job lease more, not longer; poison pills use `maxOrphans` and the worker's dead-letter settings;
 * completed jobs are kept for `completedRetentionMs`.
 */
import type { RedriveEvents } from '../events.js';
import type { Maintainer } from '../maintenance/maintainer.js';
import { createMaintainer } from '../maintenance/maintenance-options.js';
import type { WorkerContext } from './worker-context.js';

/** The worker's maintainer (not started), or undefined with `maintenance: false`. */
export function workerMaintainer<Payload>(
  ctx: WorkerContext<Payload>,
  stalled: (event: RedriveEvents['job.stalled']) => void,
): Maintainer | undefined {
  const setting = ctx.raw.maintenance;
  if (setting === false) return undefined;
  const { options } = ctx;
  const maintainer = createMaintainer(
    ctx.store,
    {
      candidate: ctx.workerId,
      leaseMs: Math.min(options.leaseMs, 3 * options.recoveryIntervalMs),
      rescueIntervalMs: options.recoveryIntervalMs,
      cleanIntervalMs: options.recoveryIntervalMs,
      maxOrphans: options.maxOrphans,
      completedRetentionMs: options.completedRetentionMs,
      ...(ctx.raw.deadLetter ? { deadLetter: ctx.raw.deadLetter } : {}),
      ...(setting ?? {}),
    },
    { clock: ctx.clock, random: ctx.random },
  );
  maintainer.on('job.stalled', stalled);
  maintainer.on('error', ({ error }) => ctx.reportError(error));
  return maintainer;
}
