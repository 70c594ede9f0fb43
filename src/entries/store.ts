/**
 * `redrive/store`: the Store seam, the interface a job store implements (jobs, dead letters, leader
 * election), with its parameter and result types.
 *
 * @remarks Unstable: this interface may change in any minor release, as redrive's own stores
 * evolve. Applications use a store through `Queue`, `Worker` and `DeadLetterQueue`, and need only
 * the `Store` type from the root entry; this entry is for those who write or wrap a store. The
 * conformance suite every store must pass is `runStoreConformance` from `redrive/store/conformance`
 * (a separate entry, so that vitest, which it needs, stays out of this one).
 *
 * @packageDocumentation
 */

export type * from '../store/store.js';
