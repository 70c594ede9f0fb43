/**
 * The reference model of the job lifecycle, driven in lock step with a real store. Every operation
 * predicts its result from the model, runs it on the store and compares; {@link ModelHarness.check}
 * then checks the invariants (./invariants.ts). Only the `Store` interface is used.
 */
import { expect } from 'vitest';
import type { AttemptRecord, OrphanedWhile } from '../../../core/job.js';
import type { FailureOutcome, FenceResult, Store } from '../../store.js';
import { deadLetterFromJob, freshClaimId, T0 } from '../fixtures.js';
import { StoreInvariants } from './invariants.js';
import { type FailKind, type ModelQueue, type Op, WORKERS } from './ops.js';
import {
  emptyCoverage,
  type Lease,
  leaseKey,
  type ModelCoverage,
  type ModelJob,
  type TokenInfo,
} from './state.js';

/** Low, so that poison pills happen within short sequences. */
const MAX_ORPHANS = 2;

export class ModelHarness {
  now = T0 + 1_000_000;
  private seq = 0;
  private dlSeq = 0;
  private readonly jobs = new Map<string, ModelJob>();
  private readonly keys = new Map<string, string>();
  private readonly tokens = new Map<string, TokenInfo>();
  /** Every lease ever handed out, in order. */
  private readonly issued: Lease[] = [];
  private readonly held: Lease[][] = Array.from({ length: WORKERS }, () => []);
  private readonly paused = new Set<ModelQueue>();
  /** Per worker, the next start sequence number and its start horizon (by worker id). */
  private readonly nextSeq: number[] = Array.from({ length: WORKERS }, () => 0);
  private readonly horizon = new Map<string, number>();
  private readonly invariants: StoreInvariants;
  /** Every completion the store accepted, to send again. */
  private readonly completions: Lease[] = [];
  /** Every failure the store accepted, to send again. */
  private readonly failures: { lease: Lease; kind: FailKind; delay: number; attempt: AttemptRecord }[] = [];

  constructor(
    private readonly store: Store,
    private readonly coverage: ModelCoverage = emptyCoverage(),
  ) {
    this.invariants = new StoreInvariants(store, coverage);
  }

  async apply(op: Op): Promise<void> {
    switch (op.t) {
      case 'enqueue':
        return this.enqueue(op.jobs);
      case 'claim':
        return this.claim(op.w, op.queue, op.limit, op.leaseMs, op.startAhead, op.quarantine);
      case 'advanceHorizon':
        return this.advanceHorizon(op.w, op.by);
      case 'complete': {
        const lease = this.takeHeld(op.i);
        return lease && this.complete(lease);
      }
      case 'fail': {
        const lease = this.takeHeld(op.i);
        return lease && this.fail(lease, op.kind, op.delay);
      }
      case 'staleComplete': {
        const lease = pick(this.notCurrent(), op.i);
        return lease && this.complete(lease);
      }
      case 'staleFail': {
        const lease = pick(this.notCurrent(), op.i);
        return lease && this.fail(lease, op.kind, 0);
      }
      case 'resendComplete': {
        const lease = pick(this.completions, op.i);
        return lease && this.complete(lease);
      }
      case 'resendFail': {
        const sent = pick(this.failures, op.i);
        return sent && this.fail(sent.lease, sent.kind, sent.delay, sent.attempt);
      }
      case 'advance':
        this.now += op.ms;
        return;
      case 'stall': {
        const leases = [...this.jobs.values()].map((j) => j.leaseExpiresAt ?? this.now);
        this.now = Math.max(this.now, ...leases) + 1;
        return;
      }
      case 'crash':
        this.held[op.w] = [];
        return;
      case 'recover':
        return this.recover();
      case 'release': {
        const leases = this.held[op.w]!;
        this.held[op.w] = [];
        return this.release(leases);
      }
      case 'extend':
        return this.extend(this.held[op.w]!, op.leaseMs);
      case 'orphanCycle':
        await this.claim(op.w, op.queue, 3, 100, 1, true);
        await this.check();
        await this.apply({ t: 'stall' });
        return this.recover();
      case 'pausedClaim':
        this.paused.add(op.queue);
        await this.store.pauseQueue({ queue: op.queue });
        await this.claim(0, op.queue, 3, 1000, null, true);
        this.paused.delete(op.queue);
        return this.store.resumeQueue({ queue: op.queue });
    }
  }

  private async enqueue(specs: Extract<Op, { t: 'enqueue' }>['jobs']): Promise<void> {
    const jobs = specs.map((s, i) => ({
      queue: s.queue,
      name: 'model',
      payloadJson: JSON.stringify({ n: this.seq + i }),
      priority: s.priority,
      runAt: this.now + s.delay,
      maxAttempts: 5,
      timeoutMs: null,
      backoff: null,
      idempotencyKey: s.key,
      replayOf: null,
    }));
    const results = await this.store.insertJobs({ jobs, now: this.now });
    expect(results).toHaveLength(jobs.length);
    results.forEach((result, i) => {
      const job = jobs[i]!;
      const keyOf = job.idempotencyKey === null ? null : `${job.queue}\u0000${job.idempotencyKey}`;
      const existing = keyOf === null ? undefined : this.keys.get(keyOf);
      if (existing !== undefined) {
        expect(result, 'an idempotency key returns the first job').toEqual({ id: existing, created: false });
        return;
      }
      expect(result.created).toBe(true);
      expect(this.jobs.has(result.id), 'a new job gets a new id').toBe(false);
      if (keyOf !== null) this.keys.set(keyOf, result.id);
      this.jobs.set(result.id, {
        id: result.id,
        queue: job.queue,
        priority: job.priority,
        runAt: job.runAt,
        seq: this.seq++,
        state: 'queued',
        attemptsMade: 0,
        orphanCount: 0,
        suspect: false,
        quarantined: false,
        startSeq: null,
        rateLimitDelays: 0,
        attemptRecords: 0,
        leaseExpiresAt: null,
        liveToken: null,
        lastToken: null,
        completedBy: null,
        lastRecord: null,
        poisoned: false,
        deadLetterId: null,
      });
    });
  }

  private async claim(
    w: number,
    queue: ModelQueue,
    limit: number,
    leaseMs: number,
    startAhead: number | null,
    quarantine: boolean,
  ): Promise<void> {
    const workerId = `w${w}`;
    const firstSeq = this.nextSeq[w]!;
    const starts = startAhead === null ? undefined : { firstSeq, horizon: firstSeq + startAhead };
    const claimed = await this.store.claimJobs({
      queue,
      workerId,
      limit,
      leaseMs,
      now: this.now,
      claimId: freshClaimId(),
      quarantine,
      ...(starts ? { starts } : {}),
    });
    const due = this.paused.has(queue)
      ? []
      : [...this.jobs.values()]
          .filter((j) => j.queue === queue && j.state === 'queued' && j.runAt <= this.now)
          .sort((x, y) => y.priority - x.priority || x.runAt - y.runAt || x.seq - y.seq);
    const suspect = quarantine ? due.find((j) => j.suspect) : undefined;
    const expected = suspect ? [suspect] : due.filter((j) => !j.suspect).slice(0, limit);
    expect(
      claimed.map((c) => c.id),
      'claim order: priority, due time, insertion; only due, unleased jobs; a suspect only alone',
    ).toEqual(expected.map((j) => j.id));
    if (suspect) this.coverage.quarantineClaims++;
    if (starts && !suspect && claimed.length > 0) {
      this.nextSeq[w] = firstSeq + claimed.length;
      this.horizon.set(workerId, Math.max(this.horizon.get(workerId) ?? -1, starts.horizon));
    }
    claimed.forEach((c, i) => {
      const job = this.jobs.get(c.id)!;
      expect(c.suspect, 'a claimed job is a suspect only when claimed alone').toBe(suspect !== undefined);
      job.quarantined = suspect !== undefined;
      job.startSeq = starts && !suspect ? firstSeq + i : null;
    });
    for (const c of claimed) {
      const job = this.jobs.get(c.id)!;
      expect(job.liveToken, 'a job is in one claim result at a time').toBeNull();
      expect(this.tokens.has(leaseKey(c)), 'every claim gets a fresh token').toBe(false);
      expect(c).toMatchObject({ state: 'active', leaseExpiresAt: this.now + leaseMs, workerId });
      job.state = 'active';
      job.liveToken = c.token;
      job.lastToken = c.token;
      job.leaseExpiresAt = this.now + leaseMs;
      this.tokens.set(leaseKey(c), { attempt: job.attemptsMade + 1, startedAt: this.now, workerId });
      this.coverage.claimed++;
      const lease = { id: c.id, token: c.token };
      this.issued.push(lease);
      this.held[w]!.push(lease);
    }
  }

  /** The refusals a non-current token may get. */
  private refusals(job: ModelJob, token: string): FenceResult[] {
    if (job.poisoned) {
      return [
        { id: job.id, ok: false, reason: 'stale_token' },
        { id: job.id, ok: false, reason: 'not_active' },
      ];
    }
    return [{ id: job.id, ok: false, reason: job.lastToken === token ? 'not_active' : 'stale_token' }];
  }

  private async complete(lease: Lease): Promise<void> {
    const job = this.jobs.get(lease.id)!;
    const live = job.liveToken === lease.token;
    const before = live ? undefined : await this.store.getJob({ id: job.id });
    const [result] = await this.store.completeJobs({
      completions: [{ ...lease, resultJson: JSON.stringify(lease.token) }],
      now: this.now,
    });
    if (live) {
      expect(result).toEqual({ id: job.id, ok: true });
      job.state = 'completed';
      job.attemptsMade++;
      job.completedBy = lease.token;
      job.liveToken = null;
      job.leaseExpiresAt = null;
      this.coverage.completed++;
      this.completions.push(lease);
      return;
    }
    if (job.completedBy === lease.token) this.coverage.duplicateCompletions++;
    else this.coverage.refused++;
    const expected =
      job.completedBy === lease.token
        ? [{ id: job.id, ok: true, duplicate: true }]
        : this.refusals(job, lease.token);
    expect(expected, 'a non-current token never completes a job').toContainEqual(result);
    expect(await this.store.getJob({ id: job.id }), 'a refused completion changes nothing').toEqual(before);
  }

  /** Removes the `i`-th (mod count) of all leases the workers hold from its worker. */
  private takeHeld(i: number): Lease | undefined {
    const total = this.held.reduce((n, h) => n + h.length, 0);
    if (total === 0) return undefined;
    let k = i % total;
    for (const held of this.held) {
      if (k < held.length) return held.splice(k, 1)[0];
      k -= held.length;
    }
    return undefined;
  }

  /** Issued leases whose token no longer holds its job. */
  private notCurrent(): Lease[] {
    return this.issued.filter((l) => this.jobs.get(l.id)!.liveToken !== l.token);
  }

  private async fail(lease: Lease, kind: FailKind, delay: number, resend?: AttemptRecord): Promise<void> {
    const job = this.jobs.get(lease.id)!;
    const info = this.tokens.get(leaseKey(lease))!;
    const attempt: AttemptRecord = resend ?? {
      attempt: info.attempt,
      outcome: kind === 'rate_limited' ? 'rate_limited' : 'failed',
      startedAt: info.startedAt,
      endedAt: this.now,
      workerId: info.workerId,
      message: 'boom',
    };
    const deadLetterId = `dl-${++this.dlSeq}`;
    const outcome: FailureOutcome =
      kind === 'dead_letter'
        ? { kind, deadLetter: deadLetterFromJob(deadLetterId, this.now) }
        : { kind, runAt: this.now + delay };
    const live = job.liveToken === lease.token;
    const before = live ? undefined : await this.store.getJob({ id: job.id });
    const result = await this.store.failJob({ ...lease, attempt, outcome, now: this.now });
    if (live) {
      expect(result).toEqual(
        kind === 'dead_letter' ? { id: job.id, ok: true, deadLetterId } : { id: job.id, ok: true },
      );
      job.liveToken = null;
      job.leaseExpiresAt = null;
      job.attemptRecords++;
      job.lastRecord = attempt;
      this.failures.push({ lease, kind, delay, attempt });
      if (kind === 'rate_limited') this.coverage.rateLimited++;
      if (kind === 'dead_letter') this.coverage.deadLettered++;
      if (kind === 'rate_limited') job.rateLimitDelays++;
      else job.attemptsMade++;
      if (kind === 'dead_letter') {
        job.state = 'dead_lettered';
        job.deadLetterId = deadLetterId;
        const dl = await this.store.getDeadLetter({ id: deadLetterId });
        expect(dl).toMatchObject({
          jobId: job.id,
          queue: job.queue,
          attempts: { length: job.attemptRecords },
        });
      } else {
        job.state = 'queued';
        job.runAt = this.now + delay;
      }
      return;
    }
    // The same failure sent again: its token still owns the job and its record is the last one.
    const r = job.lastRecord;
    const duplicate =
      job.lastToken === lease.token &&
      r !== null &&
      r.attempt === attempt.attempt &&
      r.outcome === attempt.outcome &&
      r.startedAt === attempt.startedAt &&
      r.endedAt === attempt.endedAt &&
      r.workerId === attempt.workerId &&
      (kind === 'dead_letter' ? job.state === 'dead_lettered' : job.state === 'queued');
    if (duplicate) this.coverage.duplicateFailures++;
    else this.coverage.refused++;
    if (duplicate)
      expect(result, 'the same failure sent twice').toMatchObject({ id: job.id, ok: true, duplicate: true });
    else
      expect(this.refusals(job, lease.token), 'a non-current token never fails a job').toContainEqual(result);
    expect(await this.store.getJob({ id: job.id }), 'a refused failure changes nothing').toEqual(before);
    expect(await this.store.getDeadLetter({ id: deadLetterId })).toBeNull();
  }

  private async advanceHorizon(w: number, by: number): Promise<void> {
    const workerId = `w${w}`;
    const horizon = this.nextSeq[w]! + by;
    await this.store.advanceStartHorizon({ workerId, horizon, now: this.now });
    this.horizon.set(workerId, Math.max(this.horizon.get(workerId) ?? -1, horizon));
  }

  /** How the store must judge an expired job (see JobStore.recoverExpiredLeases). */
  private heldAs(job: ModelJob, workerId: string): OrphanedWhile {
    if (job.quarantined) return 'quarantine';
    const horizon = this.horizon.get(workerId);
    if (job.startSeq !== null && horizon !== undefined && job.startSeq >= horizon) return 'prefetched';
    return 'running';
  }

  private async recover(): Promise<void> {
    const calls: string[] = [];
    const result = await this.store.recoverExpiredLeases({
      now: this.now,
      maxOrphans: MAX_ORPHANS,
      limit: 1000,
      deadLetterFor: (job) => {
        calls.push(job.id);
        expect(job.orphanCount).toBe(MAX_ORPHANS);
        return deadLetterFromJob(`poison-${job.id}`, this.now, { failureType: 'poison_pill' });
      },
    });
    const expired = [...this.jobs.values()].filter(
      (j) => j.state === 'active' && j.leaseExpiresAt !== null && j.leaseExpiresAt < this.now,
    );
    const held = new Map(
      expired.map((j) => [
        j.id,
        this.heldAs(j, this.tokens.get(leaseKey({ id: j.id, token: j.liveToken! }))!.workerId),
      ]),
    );
    const poison = expired.filter((j) => held.get(j.id) === 'quarantine' && j.orphanCount + 1 >= MAX_ORPHANS);
    const back = expired.filter((j) => !poison.includes(j));
    expect(result.orphanedWhile, 'how each orphan was held').toEqual(Object.fromEntries(held));
    expect([...result.recovered].sort(), 'recovery takes exactly the expired leases').toEqual(
      back.map((j) => j.id).sort(),
    );
    expect([...result.deadLettered].sort((x, y) => x.jobId.localeCompare(y.jobId))).toEqual(
      poison
        .map((j) => ({ jobId: j.id, deadLetterId: `poison-${j.id}` }))
        .sort((x, y) => x.jobId.localeCompare(y.jobId)),
    );
    expect(calls.sort()).toEqual(poison.map((j) => j.id).sort());
    this.coverage.recovered += back.length;
    this.coverage.poisonPills += poison.length;
    for (const job of expired) {
      const how = held.get(job.id)!;
      if (how === 'quarantine') job.orphanCount++;
      else if (how === 'running') job.suspect = true;
      if (how === 'prefetched') this.coverage.prefetchedOrphans++;
      if (how === 'running') this.coverage.suspects++;
      job.attemptRecords++;
      job.lastRecord = {
        attempt: job.attemptsMade + 1,
        outcome: 'orphaned',
        orphanedWhile: how,
        startedAt: 0,
        endedAt: this.now,
        workerId: null,
      };
      job.liveToken = null;
      job.leaseExpiresAt = null;
      if (poison.includes(job)) {
        job.state = 'dead_lettered';
        job.poisoned = true;
        job.deadLetterId = `poison-${job.id}`;
        expect(await this.store.getDeadLetterByJob({ jobId: job.id })).toMatchObject({
          id: job.deadLetterId,
          failureType: 'poison_pill',
        });
      } else {
        job.state = 'queued';
        job.lastToken = null;
      }
    }
  }

  private async release(leases: Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const results = await this.store.releaseJobs({ leases, now: this.now });
    const expected = leases.map((lease): FenceResult[] => {
      const job = this.jobs.get(lease.id)!;
      if (job.liveToken !== lease.token) return this.refusals(job, lease.token);
      job.state = 'queued';
      job.liveToken = null;
      job.lastToken = null;
      job.leaseExpiresAt = null;
      job.runAt = Math.min(job.runAt, this.now);
      return [{ id: job.id, ok: true }];
    });
    expectOneOf(results, expected, 'release succeeds only with the current token');
  }

  private async extend(leases: Lease[], leaseMs: number): Promise<void> {
    if (leases.length === 0) return;
    const results = await this.store.extendLeases({ leases, leaseMs, now: this.now });
    const expected = leases.map((lease): FenceResult[] => {
      const job = this.jobs.get(lease.id)!;
      if (job.liveToken !== lease.token) return this.refusals(job, lease.token);
      job.leaseExpiresAt = this.now + leaseMs;
      return [{ id: job.id, ok: true }];
    });
    expectOneOf(results, expected, 'a heartbeat succeeds only with the current token');
  }

  /** Compares the whole store with the model. */
  check(): Promise<void> {
    return this.invariants.check(this.now, this.jobs, this.issued);
  }
}

/** Each result must be one of the acceptable results at its position. */
function expectOneOf(results: FenceResult[], acceptable: FenceResult[][], message: string): void {
  expect(results).toHaveLength(acceptable.length);
  results.forEach((result, i) => {
    expect(acceptable[i], `${message} (item ${i})`).toContainEqual(result);
  });
}

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}
