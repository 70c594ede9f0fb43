/**
 * The invariants checked against the store after every step of the model-based test: every job
 * agrees with the model, no job disappears or appears, counts add up, attemptsMade never
 * decreases, a finished job never changes again, and only the current token holds a lease.
 */
import { expect } from 'vitest';
import type { Job, JobState } from '../../../core/job.js';
import type { Store } from '../../store.js';
import type { Lease, ModelCoverage, ModelJob } from './state.js';

export class StoreInvariants {
  private now = 0;
  private jobs: ReadonlyMap<string, ModelJob> = new Map();
  private issued: readonly Lease[] = [];
  private readonly highestAttempts = new Map<string, number>();
  /** Each finished job as first seen; it must never change. */
  private readonly finished = new Map<string, Job>();

  constructor(
    private readonly store: Store,
    private readonly coverage: ModelCoverage,
  ) {}

  /** Compares every job, the counts and the leases with the model at time `now`. */
  async check(now: number, jobs: ReadonlyMap<string, ModelJob>, issued: readonly Lease[]): Promise<void> {
    this.now = now;
    this.jobs = jobs;
    this.issued = issued;
    const stored = await this.store.listJobs({ limit: 100_000 });
    expect(stored.map((j) => j.id).sort(), 'no job disappears and none appears').toEqual(
      [...this.jobs.keys()].sort(),
    );
    const counts: Record<JobState, number> = {
      scheduled: 0,
      waiting: 0,
      active: 0,
      completed: 0,
      dead_lettered: 0,
    };
    for (const job of stored) {
      counts[job.state]++;
      this.checkJob(job);
    }
    expect(await this.store.countJobs({}), 'counts add up').toEqual(counts);
    await this.checkLeases();
  }

  private checkJob(job: Job): void {
    const m = this.jobs.get(job.id)!;
    const where = `job ${job.id}`;
    if (m.state === 'queued') {
      expect(['scheduled', 'waiting'], where).toContain(job.state);
      if (job.runAt > this.now) expect(job.state, `${where}: not due yet`).toBe('scheduled');
    } else {
      expect(job.state, where).toBe(m.state);
    }
    expect(job.attemptsMade, where).toBe(m.attemptsMade);
    expect(job.attemptsMade, `${where}: attemptsMade never decreases`).toBeGreaterThanOrEqual(
      this.highestAttempts.get(job.id) ?? 0,
    );
    this.highestAttempts.set(job.id, job.attemptsMade);
    expect(
      {
        runAt: job.runAt,
        orphanCount: job.orphanCount,
        rateLimitDelays: job.rateLimitDelays,
        attempts: job.attempts.length,
      },
      where,
    ).toEqual({
      runAt: m.runAt,
      orphanCount: m.orphanCount,
      rateLimitDelays: m.rateLimitDelays,
      attempts: m.attemptRecords,
    });
    if (m.state === 'active') expect(job.leaseExpiresAt, where).toBe(m.leaseExpiresAt);
    if (m.state === 'dead_lettered') expect(job.deadLetterId, where).toBe(m.deadLetterId);
    if (m.state === 'completed' || m.state === 'dead_lettered') {
      const first = this.finished.get(job.id);
      if (first) expect(job, `${where}: a finished job never changes`).toEqual(first);
      else this.finished.set(job.id, job);
    }
  }

  /**
   * Probes every token ever issued for each active job with a heartbeat that keeps the lease where
   * it is: exactly one token (the model's current one) must be accepted.
   */
  private async checkLeases(): Promise<void> {
    const byRemaining = new Map<number, Lease[]>();
    for (const lease of this.issued) {
      const job = this.jobs.get(lease.id)!;
      if (job.state !== 'active' || job.leaseExpiresAt === null) continue;
      const remaining = job.leaseExpiresAt - this.now;
      if (remaining <= 0) continue;
      const group = byRemaining.get(remaining) ?? [];
      group.push(lease);
      byRemaining.set(remaining, group);
    }
    for (const [remaining, leases] of byRemaining) {
      const results = await this.store.extendLeases({ leases, leaseMs: remaining, now: this.now });
      results.forEach((result, i) => {
        const lease = leases[i]!;
        if (!result.ok) this.coverage.staleProbes++;
        expect(result.ok, `job ${lease.id}: only the current token holds the lease`).toBe(
          this.jobs.get(lease.id)!.liveToken === lease.token,
        );
      });
    }
  }
}
