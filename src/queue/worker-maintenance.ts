/**
 * The maintainer a worker runs unless told `maintenance: false`: a candidate for its store's
 * leadership (see src/maintenance/). Whichever process leads runs the store's housekeeping; the
 * others only stand by. The worker's own settings give the defaults: the rescuer and the cleaner
 * run every `recoveryIntervalMs`; poison pills use `maxOrphans` and the worker's dead-letter
 * settings; completed jobs are kept for `completedRetentionMs`.
 *
 * The leadership lease ({@link workerLeadershipLeaseMs}) is at most half a heartbeat. An orphan is
 * promised back within lease + heartbeat of its worker's death; the rescuer finds it at its lease's
 * expiry, but if the leader dies too, just before that, nobody sweeps until a standby takes over at
 * the end of the leadership lease. Half a heartbeat leaves the other half for the takeover itself.
 */
import type { RedriveEvents } from '../events.js';
import type { Maintainer } from '../maintenance/maintainer.js';
import { createMaintainer } from '../maintenance/maintenance-options.js';
import type { WorkerContext } from './worker-context.js';

/** The least leadership lease: the leader renews every third of it, at least every millisecond. */
const MIN_LEADERSHIP_LEASE_MS = 3;

/**
 * A worker's leadership lease: three recovery intervals, but no longer than a job lease nor half a
 * heartbeat (2.5 s with the defaults), so that a leader that dies is replaced before an orphan of
 * another worker overstays its lease + heartbeat. The leader renews every third of it.
 */
export function workerLeadershipLeaseMs(options: {
  leaseMs: number;
  heartbeatMs: number;
  recoveryIntervalMs: number;
}): number {
  const lease = Math.min(
    options.leaseMs,
    3 * options.recoveryIntervalMs,
    Math.floor(options.heartbeatMs / 2),
  );
  return Math.max(MIN_LEADERSHIP_LEASE_MS, lease);
}

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
      leaseMs: workerLeadershipLeaseMs(options),
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
