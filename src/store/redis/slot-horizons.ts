/**
 * Workers' start horizons in a queue-slot store (QueueSlotRedisStore). A RedisStore keeps one
 * horizon per worker; here each queue's slot keeps its own, so this process remembers, per worker,
 * its highest horizon and the slots where it claimed with start marks: a claim brings its slot up
 * to that horizon, and a raise reaches every such slot.
 */
import type { ClaimedJob } from '../../core/job.js';
import type { AdvanceStartHorizonParams, ClaimJobsParams } from '../job-store.js';

/** Raises a worker's horizon in one slot. */
export type RaiseHorizon = (slot: number, params: AdvanceStartHorizonParams) => Promise<void>;

/** The start horizons of a queue-slot store's workers; see the module comment. */
export class SlotHorizons {
  private readonly known = new Map<string, { horizon: number; slots: Set<number> }>();

  constructor(private readonly raise: RaiseHorizon) {}

  /** `params` with the worker's highest horizon, so the slot claimed from catches up. */
  forClaim(params: ClaimJobsParams): ClaimJobsParams {
    const known = this.known.get(params.workerId);
    if (!params.starts || !known || known.horizon <= params.starts.horizon) return params;
    return { ...params, starts: { ...params.starts, horizon: known.horizon } };
  }

  /**
   * After a claim with start marks that gave a batch (where the slot raised the worker's horizon,
   * as a RedisStore would): notes the slot, and raises the horizon in the worker's other slots.
   */
  async claimed(params: ClaimJobsParams, slot: number, jobs: readonly ClaimedJob[]): Promise<void> {
    if (!params.starts || jobs.length === 0 || jobs[0]!.suspect) return;
    const horizon = this.forClaim(params).starts!.horizon;
    const known = this.known.get(params.workerId) ?? { horizon, slots: new Set<number>() };
    const raised = horizon > known.horizon;
    known.horizon = Math.max(known.horizon, horizon);
    this.known.set(params.workerId, known);
    if (raised) {
      const others = [...known.slots].filter((s) => s !== slot);
      await Promise.all(
        others.map((s) => this.raise(s, { workerId: params.workerId, horizon, now: params.now })),
      );
    }
    known.slots.add(slot);
  }

  /** Raises the horizon in every slot where the worker claimed with start marks. */
  async advance(params: AdvanceStartHorizonParams): Promise<void> {
    const known = this.known.get(params.workerId) ?? { horizon: params.horizon, slots: new Set<number>() };
    known.horizon = Math.max(known.horizon, params.horizon);
    this.known.set(params.workerId, known);
    await Promise.all(
      [...known.slots].map((slot) => this.raise(slot, { ...params, horizon: known.horizon })),
    );
  }
}
