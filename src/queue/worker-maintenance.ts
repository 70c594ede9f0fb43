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

/**
 * The least that half a heartbeat gives as a leadership lease. A lease of a few milliseconds, renewed
 * every third of it, is one no process holds for long: leadership would change hands every few
 * renewals, each change starting the services again. Below a heartbeat of twice this, a leader that
 * dies may keep another worker's orphan past lease + heartbeat, by at most this much.
 */
export const MIN_HEARTBEAT_LEADERSHIP_LEASE_MS = 100;

/**
 * A worker's leadership lease: three recovery intervals, but no longer than a job lease nor half a
 * heartbeat (2.5 s with the defaults; at least {@link MIN_HEARTBEAT_LEADERSHIP_LEASE_MS} from the
 * heartbeat), so that a leader that dies is replaced before an orphan of another worker overstays
 * its lease + heartbeat. The leader renews every third of it, so `renewIntervalMs`, when set alone,
 * lengthens it to three renewals (and a dead leader's takeover with it).
 */
export function workerLeadershipLeaseMs(
  options: { leaseMs: number; heartbeatMs: number; recoveryIntervalMs: number },
  renewIntervalMs?: number,
): number {
  const halfHeartbeat = Math.max(MIN_HEARTBEAT_LEADERSHIP_LEASE_MS, Math.floor(options.heartbeatMs / 2));
  const lease = Math.min(options.leaseMs, 3 * options.recoveryIntervalMs, halfHeartbeat);
  return renewIntervalMs === undefined ? lease : Math.max(lease, 3 * renewIntervalMs);
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
      leaseMs: workerLeadershipLeaseMs(options, setting?.renewIntervalMs),
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
