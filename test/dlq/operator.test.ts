import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  RedriveError,
  ReplayError,
  ReplayRegistry,
  StateConflictError,
  ValidationError,
} from '../../src/index.js';
import { createDlqHarness, type DlqHarness, deferred, flush } from './helpers.js';

let h: DlqHarness;
let calls: string[];
let behaviour: 'ok' | 'fail';

beforeEach(() => {
  calls = [];
  behaviour = 'ok';
  const registry = new ReplayRegistry().forDomain('payment', async (entry) => {
    calls.push(entry.id);
    if (behaviour === 'fail') throw new Error('gateway still down');
    return { note: 'charged again' };
  });
  h = createDlqHarness({ replayHandlers: registry });
});
afterEach(async () => {
  await h.cleanup();
});

async function failure(domain = 'payment'): Promise<string> {
  const r = await h.dlq.store({ domain, failureType: 'PG_TIMEOUT', errorMessage: 'timeout' });
  return r.id!;
}

describe('retry', () => {
  it('two concurrent retries of one entry: exactly one replay, one 409', async () => {
    const gate = deferred();
    const registry = new ReplayRegistry().forDomain('slow', async (entry) => {
      calls.push(entry.id);
      await gate.promise;
    });
    const slow = createDlqHarness({ replayHandlers: registry });
    try {
      const { id } = await slow.dlq.store({ domain: 'slow', failureType: 'x' });
      const first = slow.dlq.retry(id!, { actor: 'ann' });
      const second = slow.dlq.retry(id!, { actor: 'bob' });
      const secondError = await second.catch((e: unknown) => e);
      gate.resolve();
      const firstResult = await first;
      expect(firstResult).toMatchObject({ success: true, status: 'resolved' });
      expect(secondError).toBeInstanceOf(StateConflictError);
      expect((secondError as StateConflictError).status).toBe(409);
      expect((secondError as StateConflictError).details).toMatchObject({ reason: 'replaying' });
      expect(calls).toEqual([id]);
    } finally {
      await slow.cleanup();
    }
  });

  it('two processes retrying the same entry get one replay and one 409', async () => {
    const id = await failure();
    const registry = new ReplayRegistry().forDomain('payment', async (entry) => {
      calls.push(`other:${entry.id}`);
    });
    const other = h.otherProcess({ replayHandlers: registry });
    const results = await Promise.allSettled([h.dlq.retry(id), other.retry(id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(StateConflictError);
    expect(calls).toHaveLength(1);
    expect((await h.dlq.mustGet(id)).status).toBe('resolved');
  });

  it('success resolves the entry and records who did it', async () => {
    const id = await failure();
    const replayed: unknown[] = [];
    h.dlq.on('dead_letter.replayed', (e) => replayed.push(e));
    h.clock.advance(5000);
    const result = await h.dlq.retry(id, { actor: 'ann' });
    expect(result).toMatchObject({
      success: true,
      id,
      dryRun: false,
      status: 'resolved',
      replayCount: 1,
      previousReplayCount: 0,
      handler: 'domain:payment',
      message: 'charged again',
    });
    expect(await h.dlq.mustGet(id)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'ann',
      resolvedAt: h.t0 + 5000,
      resolutionNote: 'charged again',
      replayCount: 1,
    });
    expect(replayed).toEqual([
      { id, success: true, status: 'resolved', actor: 'ann', forced: false, jobId: null, error: null },
    ]);
    const audit = await h.dlq.audit({ id });
    expect(audit.items[0]).toMatchObject({
      action: 'replay',
      actor: 'ann',
      beforeStatus: 'replaying',
      afterStatus: 'resolved',
    });
  });

  it('a failed replay goes back to pending, then to requires_review when the budget is spent', async () => {
    behaviour = 'fail';
    const id = await failure();
    const r1 = await h.dlq.retry(id);
    expect(r1).toMatchObject({
      success: false,
      status: 'pending',
      replayCount: 1,
      error: 'gateway still down',
    });
    expect(r1.message).toMatch(/1 replay\(s\) left/);
    expect((await h.dlq.mustGet(id)).lastReplayError).toBe('Error: gateway still down');
    const r2 = await h.dlq.retry(id);
    expect(r2).toMatchObject({ success: false, status: 'requires_review', replayCount: 2 });
    const r3 = await h.dlq.retry(id).catch((e: unknown) => e);
    expect(r3).toBeInstanceOf(StateConflictError);
    expect(calls).toHaveLength(2);
    expect(h.dlq.metrics()).toMatchObject({ replays: 2, replayFailed: 2, replaySucceeded: 0 });
  });

  it('refuses a pending entry at its cap with 409', async () => {
    const r = await h.dlq.store({ domain: 'payment', failureType: 'x', maxReplays: 0 });
    const error = await h.dlq.retry(r.id!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as StateConflictError).details).toMatchObject({ reason: 'at_cap' });
    expect(calls).toEqual([]);
  });

  it('404 for an unknown id; 409 for resolved and archived entries', async () => {
    await expect(h.dlq.retry('nope')).rejects.toBeInstanceOf(NotFoundError);
    const id = await failure();
    await h.dlq.resolve(id, { actor: 'ann' });
    await expect(h.dlq.retry(id)).rejects.toBeInstanceOf(StateConflictError);
    h.clock.advance(31 * 86_400_000);
    await h.dlq.archiveOlderThan(30);
    await expect(h.dlq.retry(id)).rejects.toThrow(/archived/);
  });

  it('no replay handler: a clear 409 and the entry stays as it was', async () => {
    const id = await failure('unknown-domain');
    const before = await h.dlq.mustGet(id);
    const error = await h.dlq.retry(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toMatch(/no replay handler .*unknown-domain/);
    expect(await h.dlq.mustGet(id)).toEqual(before);
  });

  it('a dry run checks everything and changes nothing', async () => {
    const id = await failure();
    const result = await h.dlq.retry(id, { dryRun: true });
    expect(result).toMatchObject({
      success: true,
      dryRun: true,
      status: 'pending',
      handler: 'domain:payment',
    });
    expect(calls).toEqual([]);
    expect((await h.dlq.mustGet(id)).generation).toBe(1);
  });

  it('a pipeline failure after the handler ran is a ReplayError (500)', async () => {
    const id = await failure();
    h.faults.down.add('finishDeadLetterReplay');
    const error = await h.dlq.retry(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect((error as ReplayError).status).toBe(500);
    h.faults.down.delete('finishDeadLetterReplay');
    // The entry stays replaying until released as abandoned.
    expect((await h.dlq.mustGet(id)).status).toBe('replaying');
    h.clock.advance(16 * 60_000);
    expect(await h.dlq.releaseStuckReplays()).toBe(1);
    expect((await h.dlq.mustGet(id)).status).toBe('pending');
  });
});

describe('generation checks', () => {
  it('refuse retry, resolve and force-redrive on a stale screen', async () => {
    behaviour = 'fail';
    const id = await failure();
    const seen = await h.dlq.mustGet(id);
    await h.dlq.retry(id);
    const changed = await h.dlq.mustGet(id);
    expect(changed.generation).toBeGreaterThan(seen.generation);
    for (const action of [
      () => h.dlq.retry(id, { expectedGeneration: seen.generation }),
      () => h.dlq.resolve(id, { actor: 'ann', expectedGeneration: seen.generation }),
      () => h.dlq.forceRedrive(id, { actor: 'root', reason: 'r', expectedGeneration: seen.generation }),
    ]) {
      const error = await action().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateConflictError);
      expect((error as StateConflictError).details).toMatchObject({ reason: 'stale_generation' });
    }
    expect(calls).toHaveLength(1);
    // With the current generation it goes through.
    await expect(
      h.dlq.resolve(id, { actor: 'ann', expectedGeneration: changed.generation }),
    ).resolves.toMatchObject({
      status: 'resolved',
      previousStatus: 'pending',
    });
  });
});

describe('forceRedrive', () => {
  it('needs an actor and a reason', async () => {
    const id = await failure();
    await expect(h.dlq.forceRedrive(id, { actor: '', reason: 'x' })).rejects.toMatchObject({
      field: 'actor',
    });
    await expect(h.dlq.forceRedrive(id, { actor: 'a', reason: ' ' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('is admin-only when an authorize hook says so', async () => {
    const guarded = createDlqHarness({
      replayHandlers: new ReplayRegistry().forDomain('payment', async () => undefined),
      authorize: ({ action, actor }) => action !== 'force_redrive' || actor === 'admin',
    });
    try {
      const { id } = await guarded.dlq.store({ domain: 'payment', failureType: 'x' });
      const error = await guarded.dlq
        .forceRedrive(id!, { actor: 'intern', reason: 'why not' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedriveError);
      expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      await expect(guarded.dlq.forceRedrive(id!, { actor: 'admin', reason: 'fixed' })).resolves.toMatchObject(
        {
          success: true,
        },
      );
    } finally {
      await guarded.cleanup();
    }
  });

  it('a poison pill converges to requires_review within its fresh budget, every time', async () => {
    behaviour = 'fail';
    const id = await failure();
    await h.dlq.retry(id);
    await h.dlq.retry(id);
    expect((await h.dlq.mustGet(id)).status).toBe('requires_review');
    for (let round = 1; round <= 3; round++) {
      const forced = await h.dlq.forceRedrive(id, {
        actor: 'root',
        reason: `deploy ${round} fixed it`,
        ticket: `INC-${round}`,
      });
      expect(forced).toMatchObject({ success: false, status: 'pending' });
      // The remaining automatic budget is spent by batch replay, and it stops there.
      h.clock.advance(61_000);
      const batch = await h.dlq.replay({ domain: 'payment', batchSize: 10 });
      expect(batch).toMatchObject({ total: 1, failed: 1 });
      h.clock.advance(61_000);
      expect(await h.dlq.replay({ domain: 'payment' })).toMatchObject({ total: 0 });
      expect(await h.dlq.mustGet(id)).toMatchObject({
        status: 'requires_review',
        replayCount: 2 + 2 * round,
      });
    }
    expect(calls).toHaveLength(2 + 2 * 3);
    const audit = await h.dlq.audit({ id, action: 'force_redrive' });
    expect(audit.items.map((e) => [e.actor, e.reason, e.ticket, e.beforeStatus, e.afterStatus])).toEqual([
      ['root', 'deploy 3 fixed it', 'INC-3', 'requires_review', 'replaying'],
      ['root', 'deploy 2 fixed it', 'INC-2', 'requires_review', 'replaying'],
      ['root', 'deploy 1 fixed it', 'INC-1', 'requires_review', 'replaying'],
    ]);
    expect(audit.items[0]!.afterGeneration).toBe(audit.items[0]!.beforeGeneration! + 1);
  });

  it('a fixed entry resolves on force-redrive', async () => {
    behaviour = 'fail';
    const id = await failure();
    await h.dlq.retry(id);
    await h.dlq.retry(id);
    behaviour = 'ok';
    await expect(h.dlq.retry(id)).rejects.toBeInstanceOf(StateConflictError);
    expect(await h.dlq.forceRedrive(id, { actor: 'root', reason: 'fixed in v2' })).toMatchObject({
      success: true,
      status: 'resolved',
    });
  });

  it('refuses resolved entries', async () => {
    const id = await failure();
    await h.dlq.resolve(id, { actor: 'a' });
    await expect(h.dlq.forceRedrive(id, { actor: 'root', reason: 'r' })).rejects.toBeInstanceOf(
      StateConflictError,
    );
  });
});

describe('resolve', () => {
  it('closes pending and requires_review entries, audited; refuses others', async () => {
    const id = await failure();
    const resolved: unknown[] = [];
    h.dlq.on('dead_letter.resolved', (e) => resolved.push(e));
    expect(await h.dlq.resolve(id, { actor: 'ann', note: 'refunded by hand' })).toEqual({
      success: true,
      id,
      previousStatus: 'pending',
      status: 'resolved',
      resolvedAt: h.t0,
      note: 'refunded by hand',
    });
    expect(resolved).toEqual([{ ids: [id], actor: 'ann' }]);
    await expect(h.dlq.resolve(id, { actor: 'ann' })).rejects.toBeInstanceOf(StateConflictError);
    await expect(h.dlq.resolve('missing', { actor: 'ann' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.dlq.resolve(id, { actor: '' })).rejects.toMatchObject({ field: 'actor' });
    const audit = await h.dlq.audit({ id });
    expect(audit.items[0]).toMatchObject({ action: 'resolve', actor: 'ann', reason: 'refunded by hand' });
  });

  it('resolveBatch works in chunks and reports resolved / skipped / not found', async () => {
    const ids = await Promise.all(Array.from({ length: 7 }, () => failure()));
    await h.dlq.resolve(ids[2]!, { actor: 'x' });
    const gate = deferred();
    const registry = new ReplayRegistry().forDomain('payment', () => gate.promise);
    const holder = h.otherProcess({ replayHandlers: registry });
    const replaying = holder.retry(ids[4]!);
    await flush();
    const report = await h.dlq.resolveBatch([...ids, 'ghost'], {
      actor: 'ops',
      note: 'incident closed',
      chunkSize: 3,
    });
    gate.resolve();
    await replaying;
    expect(report.requested).toBe(8);
    expect(report.chunks).toBe(3);
    expect(report.resolved.sort()).toEqual([ids[0], ids[1], ids[3], ids[5], ids[6]].sort());
    expect(report.skipped).toEqual([
      { id: ids[2], status: 'resolved', reason: 'invalid_status' },
      { id: ids[4], status: 'replaying', reason: 'invalid_status' },
    ]);
    expect(report.notFound).toEqual(['ghost']);
    expect(h.dlq.metrics().resolved).toBe(6);
  });
});
