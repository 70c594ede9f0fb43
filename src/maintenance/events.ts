/**
 * Events of the maintainer: leadership changes, service runs, and errors it survived.
 */
import type { RedriveEvents } from '../events.js';
import type { ServiceReport } from './service.js';

/** Events of a {@link Maintainer}. */
export interface MaintainerEvents {
  /** This process became the store's leader. */
  'leadership.gained': { candidate: string; epoch: number };
  /** This process stopped leading: another took the lease (`deposed`) or it closed. */
  'leadership.lost': { candidate: string; epoch: number; reason: 'deposed' | 'closed' };
  /** A service finished a run. */
  'maintenance.ran': { service: string; epoch: number; report: ServiceReport };
  /** The lease rescuer recovered or dead-lettered a job. */
  'job.stalled': RedriveEvents['job.stalled'];
  /** A store call or a service failed; it is tried again on the next round. */
  error: { error: Error; service?: string };
}
