/**
 * The Store seam: `Queue`, `Worker` and `DeadLetterQueue` talk only to this interface.
 */
import type { DeadLetterStore } from './dead-letter-store.js';
import type { JobEventStore } from './job-event-store.js';
import type { JobStore } from './job-store.js';
import type { LeaderStore } from './leader-store.js';

export type * from './dead-letter-store.js';
export type * from './job-event-store.js';
export type * from './job-store.js';
export type * from './leader-store.js';

/** A backend for redrive: jobs, dead letters and leader election, each change atomic. */
export interface Store extends JobStore, JobEventStore, DeadLetterStore, LeaderStore {}
