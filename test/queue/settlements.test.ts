/**
 * The worker's write-behind of outcomes (settlements.ts): what happens to completions and failures
 * when a write fails, and that each outcome is answered exactly once.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { StoreUnavailableError, ValidationError } from '../../src/core/errors.js';
import { OVERLAPPED_FAILURE_BATCH, type PendingFailure, Settlements } from '../../src/queue/settlements.js';
import { insertAndClaim, mustGet, T0 } from '../../src/store/conformance/fixtures.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { FailJobResult, FailJobsParams, FenceResult, Store } from '../../src/store/store.js';

/** A store whose failJobs throws the queued errors first, then applies everything. */
function fakeStore(failErrors: unknown[]) {
  const calls = { complete: 0, fail: 0 };
  const store = {
    async completeJobs(p: { completions: readonly { id: string }[] }): Promise<FenceResult[]> {
      calls.complete++;
      return p.completions.map((c) => ({ id: c.id, ok: true }));
    },
    async failJobs(p: FailJobsParams): Promise<FailJobResult[]> {
      calls.fail++;
      const error = failErrors.shift();
      if (error) throw error;
      return p.failures.map((f) => ({ id: f.id, ok: true }));
    },
  } as unknown as Store;
  return { store, calls };
}

function pending(id: string, log: string[]): PendingFailure {
  return {
    failure: {
      id,
      token: `1:${id}`,
      attempt: { attempt: 1, outcome: 'failed', startedAt: 0, endedAt: 1, workerId: 'w' },
      outcome: { kind: 'retry', runAt: 1 },
    },
    written: (r) => log.push(`written ${r.id} ${r.ok}`),
    dropped: () => log.push(`dropped ${id}`),
  };
}

function settlements(store: Store, log: string[], errors: unknown[] = [], overlapsWrites = false) {
  return new Settlements(store, new FakeClock(), {
    completed: (results) => {
      for (const r of results) log.push(`completed ${r.id}`);
    },
    error: (e) => errors.push(e),
    claimPending: () => true,
    overlapsWrites: () => overlapsWrites,
  });
}

describe('Settlements', () => {
  it('writes completions and failures of one turn with one call per kind, each answered once', async () => {
    const { store, calls } = fakeStore([]);
    const log: string[] = [];
    const s = settlements(store, log);
    s.addCompletion({ id: 'c1', token: 't', resultJson: null });
    s.addFailure(pending('f1', log));
    s.addFailure(pending('f2', log));
    await s.flush();
    expect(calls).toEqual({ complete: 1, fail: 1 });
    expect(log).toEqual(['completed c1', 'written f1 true', 'written f2 true']);
    expect(s.size).toBe(0);
  });

  it('with a store that answers later, sends each full batch of failures at once, beside a write in flight', async () => {
    for (const overlaps of [false, true]) {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const { store, calls } = fakeStore([]);
      const completeJobs = store.completeJobs.bind(store);
      store.completeJobs = async (p) => {
        await gate;
        return completeJobs(p);
      };
      const log: string[] = [];
      const s = settlements(store, log, [], overlaps);
      s.addCompletion({ id: 'c1', token: 't', resultJson: null });
      const first = s.flush();
      for (let i = 0; i < OVERLAPPED_FAILURE_BATCH; i++) s.addFailure(pending(`f${i}`, log));
      await Promise.resolve();
      // The store records them while the worker runs the next jobs, instead of after the write.
      expect(calls.fail).toBe(overlaps ? 1 : 0);
      const idle = s.idle();
      open();
      await first;
      await idle;
      if (!overlaps) await s.flush();
      expect(calls.fail).toBe(1);
      expect(log.filter((l) => l.startsWith('written'))).toHaveLength(OVERLAPPED_FAILURE_BATCH);
      expect(s.size).toBe(0);
    }
  });

  it('keeps failures the store could not take while unreachable, and sends them again', async () => {
    const { store, calls } = fakeStore([new StoreUnavailableError('redis is down')]);
    const log: string[] = [];
    const errors: unknown[] = [];
    const s = settlements(store, log, errors);
    s.addCompletion({ id: 'c1', token: 't', resultJson: null });
    s.addFailure(pending('f1', log));
    await s.flush();
    // The completion went through on its own call: it is answered once and not sent again.
    expect(log).toEqual(['completed c1']);
    expect(errors).toHaveLength(1);
    expect(s.size).toBe(1);
    await s.flush();
    expect(log).toEqual(['completed c1', 'written f1 true']);
    expect(calls).toEqual({ complete: 1, fail: 2 });
  });

  it('drops failures after any other store error (recovery returns their jobs)', async () => {
    const { store } = fakeStore([new ValidationError('outcome.runAt', 'must be a finite number')]);
    const log: string[] = [];
    const errors: unknown[] = [];
    const s = settlements(store, log, errors);
    s.addFailure(pending('f1', log));
    await s.flush();
    expect(log).toEqual(['dropped f1']);
    expect(errors).toHaveLength(1);
    expect(s.size).toBe(0);
  });
  it('sends a completion again when its reply was lost: the store applied it once, and it is answered once', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    try {
      const job = await insertAndClaim(sqlite, { now: T0 });
      let lose = 1;
      const answers: FenceResult[][] = [];
      // The first write lands, then its reply is lost on the way back.
      const store = {
        async completeJobs(params: Parameters<Store['completeJobs']>[0]): Promise<FenceResult[]> {
          const results = await sqlite.completeJobs(params);
          answers.push(results);
          if (lose-- > 0) throw new StoreUnavailableError('connection reset before the reply');
          return results;
        },
      } as unknown as Store;
      const log: string[] = [];
      const errors: unknown[] = [];
      const s = settlements(store, log, errors);
      s.addCompletion({ id: job.id, token: job.token, resultJson: '"once"' });
      await s.flush();
      expect(errors).toHaveLength(1);
      expect(log).toEqual([]);
      expect(s.size).toBe(1);
      await s.flush();
      expect(answers).toEqual([[{ id: job.id, ok: true }], [{ id: job.id, ok: true, duplicate: true }]]);
      expect(log).toEqual([`completed ${job.id}`]);
      expect(s.size).toBe(0);
      expect(await mustGet(sqlite, job.id)).toMatchObject({
        state: 'completed',
        result: 'once',
        attemptsMade: 1,
      });
    } finally {
      await sqlite.close();
    }
  });
});
