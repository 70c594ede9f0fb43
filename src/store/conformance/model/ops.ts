/**
 * The operations of the model-based test and their fast-check arbitraries: what producers,
 * workers, crashes and the passage of time can do to a store.
 */
import fc from 'fast-check';

export const QUEUES = ['a', 'b'] as const;
export type ModelQueue = (typeof QUEUES)[number];
export const WORKERS = 3;
export type FailKind = 'retry' | 'rate_limited' | 'dead_letter';

export type Op =
  | {
      t: 'enqueue';
      jobs: { queue: ModelQueue; delay: number; priority: 0 | 1 | 2; key: string | null }[];
    }
  /**
   * Worker `w` claims; with `startAhead`, with start marks letting it start that many of the
   * claimed jobs; with `quarantine`, a waiting suspect alone if there is one.
   */
  | {
      t: 'claim';
      w: number;
      queue: ModelQueue;
      limit: number;
      leaseMs: number;
      startAhead: number | null;
      quarantine: boolean;
    }
  /** Worker `w` raises its start horizon by `by` past the jobs it claimed with marks so far. */
  | { t: 'advanceHorizon'; w: number; by: number }
  /** The worker holding the `i`-th lease of all held leases completes it. */
  | { t: 'complete'; i: number }
  /** The worker holding the `i`-th lease of all held leases fails it. */
  | { t: 'fail'; i: number; kind: FailKind; delay: number }
  /** A late worker completes with the `i`-th token that no longer holds its job. */
  | { t: 'staleComplete'; i: number }
  /** A late worker fails with the `i`-th token that no longer holds its job. */
  | { t: 'staleFail'; i: number; kind: FailKind }
  /** The `i`-th accepted completion is sent again (a retry after a dropped reply). */
  | { t: 'resendComplete'; i: number }
  /** The `i`-th accepted failure is sent again, unchanged (a retry after a dropped reply). */
  | { t: 'resendFail'; i: number }
  | { t: 'advance'; ms: number }
  /** Time jumps past every lease held now (a long pause or partition). */
  | { t: 'stall' }
  /** Worker `w` dies: it forgets its leases without telling the store. */
  | { t: 'crash'; w: number }
  | { t: 'recover' }
  /** Worker `w` shuts down gracefully, releasing every lease it holds. */
  | { t: 'release'; w: number }
  /** Worker `w` heartbeats every lease it holds. */
  | { t: 'extend'; w: number; leaseMs: number }
  /** Worker `w` claims, hangs past its leases, and a sweep recovers them (builds orphan chains). */
  | { t: 'orphanCycle'; w: number; queue: ModelQueue }
  /** Pause the queue, try to claim (nothing comes), resume. */
  | { t: 'pausedClaim'; queue: ModelQueue };

const worker = fc.integer({ min: 0, max: WORKERS - 1 });
/** Mostly one queue, so that claims find work; sometimes the other (keys and pauses are per queue). */
const queue = fc.constantFrom<ModelQueue>('a', 'a', 'a', 'b');
const kind = fc.constantFrom<FailKind>('retry', 'retry', 'rate_limited', 'dead_letter');

const enqueue = fc.record({
  t: fc.constant('enqueue' as const),
  jobs: fc.array(
    fc.record({
      queue,
      delay: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 1 },
      ),
      priority: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      key: fc.oneof(
        { arbitrary: fc.constant(null), weight: 3 },
        { arbitrary: fc.constantFrom('k0', 'k1', 'k2', 'k3'), weight: 1 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

/** One random operation, weighted towards the common ones. */
export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: enqueue, weight: 5 },
  {
    arbitrary: fc.record({
      t: fc.constant('claim' as const),
      w: worker,
      queue,
      limit: fc.integer({ min: 1, max: 3 }),
      leaseMs: fc.integer({ min: 100, max: 2000 }),
      startAhead: fc.option(fc.integer({ min: 0, max: 3 })),
      quarantine: fc.boolean(),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('advanceHorizon' as const),
      w: worker,
      by: fc.integer({ min: -2, max: 2 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('complete' as const), i: fc.nat(20) }), weight: 4 },
  {
    arbitrary: fc.record({
      t: fc.constant('fail' as const),
      i: fc.nat(20),
      kind,
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 })),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: fc.constant('staleComplete' as const), i: fc.nat(50) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('staleFail' as const), i: fc.nat(50), kind }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('resendComplete' as const), i: fc.nat(50) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('resendFail' as const), i: fc.nat(50) }), weight: 1 },
  {
    arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 4000 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ t: fc.constant('stall' as const) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('crash' as const), w: worker }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('recover' as const) }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('release' as const), w: worker }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('extend' as const),
      w: worker,
      leaseMs: fc.integer({ min: 200, max: 3000 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('orphanCycle' as const), w: worker, queue }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('pausedClaim' as const), queue }), weight: 1 },
);
