import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FINGERPRINT_VERSION, type NewDeadLetter, ValidationError } from '../../src/index.js';
import { createDlqHarness, type DlqHarness, record } from './helpers.js';

let h: DlqHarness;
beforeEach(() => {
  h = createDlqHarness({ sla: { defaultMs: 3_600_000, domains: { payment: 600_000 } } });
});
afterEach(async () => {
  await h.cleanup();
});

const MIN = 60_000;

async function seedVaried() {
  const r = (id: string, minutesAgo: number, o: Partial<NewDeadLetter>) =>
    record(id, h.t0 - minutesAgo * MIN, o);
  await h.store.insertDeadLetters({
    deadLetters: [
      r('p1', 120, {
        domain: 'payment',
        failureType: 'PG_TIMEOUT',
        queue: 'charges',
        errorMessage: 'Gateway timeout',
        payload: { customerId: 42, amount: 10 },
        entityType: 'order',
        entityId: 'o1',
      }),
      r('p2', 5, {
        domain: 'payment',
        failureType: 'DECLINED',
        queue: 'charges',
        errorMessage: 'card declined',
        payload: { customerId: 7, amount: 99 },
      }),
      r('e1', 90, {
        domain: 'email',
        failureType: 'BOUNCE',
        queue: 'emails',
        errorMessage: 'mailbox full',
        payload: { customerId: 42 },
        userId: 'u1',
      }),
      r('e2', 30, {
        domain: 'email',
        failureType: 'BOUNCE',
        queue: 'emails',
        errorMessage: 'mailbox full',
        payload: { customerId: 9 },
      }),
      r('w1', 200, {
        domain: 'webhook',
        failureType: 'HTTP_500',
        errorMessage: 'upstream 500',
        metadata: { partner: 'acme' },
      }),
    ],
    now: h.t0,
  });
}

describe('list', () => {
  it('shows every status by default, newest first, with page navigation', async () => {
    await seedVaried();
    await h.dlq.resolve('e2', { actor: 'a' });
    const page = await h.dlq.list({}, { pageSize: 2 });
    expect(page.results.map((r) => r.id)).toEqual(['p2', 'e2']);
    expect(page).toMatchObject({
      page: 1,
      pageSize: 2,
      totalCount: 5,
      totalPages: 3,
      hasNext: true,
      hasPrevious: false,
    });
    const last = await h.dlq.list({}, { page: 3, pageSize: 2 });
    expect(last.results.map((r) => r.id)).toEqual(['w1']);
    expect(last).toMatchObject({ hasNext: false, hasPrevious: true });
    expect((await h.dlq.list({}, { page: -4, pageSize: 2 })).page).toBe(1);
    expect((await h.dlq.list({}, { order: 'oldest', pageSize: 1 })).results[0]!.id).toBe('w1');
  });

  it('filters by status, domain, failure type, queue, entity, user, error text, time range and payload path', async () => {
    await seedVaried();
    await h.dlq.resolve('e2', { actor: 'a' });
    const ids = async (filter: Parameters<typeof h.dlq.list>[0]) =>
      (await h.dlq.list(filter, { pageSize: 100 })).results.map((r) => r.id);
    expect(await ids({ status: 'resolved' })).toEqual(['e2']);
    expect(await ids({ status: ['pending', 'resolved'], domain: 'email' })).toEqual(['e2', 'e1']);
    expect(await ids({ failureType: 'PG_TIMEOUT' })).toEqual(['p1']);
    expect(await ids({ queue: 'charges' })).toEqual(['p2', 'p1']);
    expect(await ids({ entityType: 'order', entityId: 'o1' })).toEqual(['p1']);
    expect(await ids({ userId: 'u1' })).toEqual(['e1']);
    expect(await ids({ errorText: 'MAILBOX' })).toEqual(['e2', 'e1']);
    expect(await ids({ from: h.t0 - 100 * MIN, to: h.t0 - 10 * MIN })).toEqual(['e2', 'e1']);
    expect(await ids({ where: [{ path: 'payload.customerId', value: 42 }] })).toEqual(['e1', 'p1']);
    expect(await ids({ where: [{ path: 'payload.amount', op: 'gt', value: 50 }] })).toEqual(['p2']);
    expect(await ids({ where: [{ path: 'metadata.partner', value: 'acme' }] })).toEqual(['w1']);
    expect(await ids({ domain: 'payment', where: [{ path: 'payload.customerId', value: 42 }] })).toEqual([
      'p1',
    ]);
  });

  it('validates page size (max 100), statuses and paths', async () => {
    await expect(h.dlq.list({}, { pageSize: 101 })).rejects.toMatchObject({ field: 'pageSize' });
    await expect(h.dlq.list({}, { pageSize: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.dlq.list({ status: 'lost' as 'pending' })).rejects.toMatchObject({ field: 'status' });
    await expect(h.dlq.list({ where: [{ path: 'password', value: 1 }] })).rejects.toMatchObject({
      field: 'where.path',
    });
    await expect(h.dlq.list({ where: [{ path: 'payload.a b', value: 1 }] })).rejects.toMatchObject({
      field: 'json.path',
    });
  });

  it('pages through 100k entries in order, with no gaps or repeats', async () => {
    const N = 100_000;
    const BATCH = 10_000;
    for (let start = 0; start < N; start += BATCH) {
      const deadLetters = Array.from({ length: BATCH }, (_, k) => {
        const i = start + k;
        // Many equal timestamps, so the tiebreak matters.
        return record(`dl-${String(i).padStart(6, '0')}`, h.t0 + Math.floor(i / 7), {
          domain: i % 3 === 0 ? 'payment' : 'email',
        });
      });
      await h.store.insertDeadLetters({ deadLetters, now: h.t0 });
    }
    // Page numbers (offsets in the store).
    const seen = new Set<string>();
    let previous = Number.POSITIVE_INFINITY;
    let outOfOrder = 0;
    let repeats = 0;
    const badPages: number[] = [];
    const first = await h.dlq.list({}, { pageSize: 100 });
    expect(first.totalCount).toBe(N);
    expect(first.totalPages).toBe(1000);
    for (let page = 1; page <= first.totalPages; page++) {
      const result = page === 1 ? first : await h.dlq.list({}, { page, pageSize: 100 });
      if (result.results.length !== 100 || result.hasNext !== page < 1000) badPages.push(page);
      for (const entry of result.results) {
        if (entry.deadLetteredAt > previous) outOfOrder++;
        previous = entry.deadLetteredAt;
        if (seen.has(entry.id)) repeats++;
        seen.add(entry.id);
      }
    }
    expect({ outOfOrder, repeats, badPages, distinct: seen.size }).toEqual({
      outOfOrder: 0,
      repeats: 0,
      badPages: [],
      distinct: N,
    });
    // Cursors, filtered, oldest first: the same entries as the matching subset, in order.
    const cursorIds: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await h.dlq.list(
        { domain: 'payment' },
        { pageSize: 100, order: 'oldest', ...(cursor ? { cursor } : {}) },
      );
      cursorIds.push(...result.results.map((r) => r.id));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    const expected = Array.from({ length: N }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .map((i) => `dl-${String(i).padStart(6, '0')}`);
    expect(cursorIds).toHaveLength(expected.length);
    expect(new Set(cursorIds).size).toBe(expected.length);
    expect([...cursorIds].sort()).toEqual(expected);
  }, 120_000);
});

describe('facets, failure groups, stats and SLA', () => {
  it('facets count status x domain', async () => {
    await seedVaried();
    await h.dlq.resolve('p1', { actor: 'a' });
    expect(await h.dlq.facets()).toMatchObject({
      byStatus: { pending: 4, resolved: 1 },
      byDomain: { payment: 2, email: 2, webhook: 1 },
    });
    expect(await h.dlq.facets({ status: 'pending' })).toMatchObject({
      byDomain: { payment: 1, email: 2, webhook: 1 },
    });
    expect((await h.dlq.facets({ domain: 'payment' })).byStatus).toEqual({ pending: 1, resolved: 1 });
  });

  it('topFailures groups the same bug (by fingerprint) whatever its ids', async () => {
    class DbError extends Error {
      override name = 'DbError';
    }
    const make = (m: string) => new DbError(m);
    const errors = [
      ...Array.from({ length: 3 }, (_, i) => make(`deadlock on row ${i * 17}`)),
      ...Array.from({ length: 2 }, (_, i) => make(`unique violation for key "user-${i}"`)),
      make('disk full'),
    ];
    const stored = [];
    for (const error of errors) {
      stored.push((await h.dlq.store({ domain: 'db', failureType: 'sql', error })).id!);
      h.clock.advance(1000);
    }
    const top = (await h.dlq.topFailures({ limit: 2 })).groups;
    expect(top.map((g) => [g.count, g.errorClass])).toEqual([
      [3, 'DbError'],
      [2, 'DbError'],
    ]);
    expect(top[0]).toMatchObject({ firstSeenAt: h.t0, lastSeenAt: h.t0 + 2000, domain: 'db' });
    expect(top[0]!.sampleId).toBe(stored[2]);
    await h.dlq.resolveBatch(stored.slice(0, 3), { actor: 'a' });
    // Resolved entries drop out of the default (open) view.
    expect((await h.dlq.topFailures()).groups[0]!.count).toBe(2);
    expect((await h.dlq.topFailures({ status: 'resolved' })).groups[0]!.count).toBe(3);
  });

  it('describes each group from the entry the store read with it, as a read by id would', async () => {
    for (const m of ['deadlock on row 1', 'deadlock on row 2', 'disk full']) {
      await h.dlq.store({
        domain: 'db',
        failureType: 'sql',
        error: Object.assign(new Error(m), { name: 'DbError' }),
      });
      h.clock.advance(1000);
    }
    const reads = () => h.faults.calls.get('getDeadLetter') ?? 0;
    const direct = (await h.dlq.topFailures()).groups;
    expect(reads()).toBe(0);
    expect(direct[0]).toMatchObject({
      count: 2,
      signature: { errorClass: 'DbError', message: 'deadlock on row <n>' },
      fingerprintVersion: FINGERPRINT_VERSION,
    });
    expect(direct.every((g) => !('sample' in g))).toBe(true);
    // A store that does not read the samples with its groups: one read per group, the same result.
    const top = h.sqlite.topDeadLetterFailures.bind(h.sqlite);
    h.sqlite.topDeadLetterFailures = async (params) => {
      const t = await top(params);
      return { ...t, groups: t.groups.map(({ sample: _, ...g }) => g) };
    };
    expect((await h.dlq.topFailures()).groups).toEqual(direct);
    expect(reads()).toBe(2);
  });

  it('stats report the age of the oldest pending entry on the fake clock', async () => {
    await seedVaried();
    h.clock.advance(10 * MIN);
    const stats = await h.dlq.stats();
    expect(stats).toMatchObject({
      total: 5,
      open: 5,
      oldestPendingAt: h.t0 - 200 * MIN,
      oldestPendingAgeMs: 210 * MIN,
      replayable: 5,
    });
    expect(stats.byStatus).toMatchObject({ pending: 5, resolved: 0 });
    expect(stats.byDomain).toEqual({ payment: 2, email: 2, webhook: 1 });
  });

  it('finds SLA breaches per domain, with the default for the rest', async () => {
    await seedVaried();
    await h.dlq.resolve('w1', { actor: 'a' });
    // payment: 10 min SLA (p1 breaches, p2 does not); others: 1 h (e1 breaches, e2 does not; w1 is resolved).
    const report = await h.dlq.slaBreached();
    expect(report.items.map((e) => e.id)).toEqual(['p1', 'e1']);
    expect(report.breaches).toEqual([
      { domain: 'payment', slaMs: 600_000, count: 1 },
      { domain: '*', slaMs: 3_600_000, count: 1 },
    ]);
    h.clock.advance(40 * MIN);
    expect((await h.dlq.slaBreached()).items.map((e) => e.id)).toEqual(['p1', 'e1', 'e2', 'p2']);
  });

  it('replayable, pending and expired views', async () => {
    await h.store.insertDeadLetters({
      deadLetters: [
        record('a', h.t0 - 3, { expiresAt: h.t0 + MIN }),
        record('b', h.t0 - 2, { maxReplays: 0 }),
        record('c', h.t0 - 1, { domain: 'other' }),
      ],
      now: h.t0,
    });
    expect((await h.dlq.pending()).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect((await h.dlq.replayable()).map((e) => e.id)).toEqual(['a', 'c']);
    expect((await h.dlq.replayable({ domain: 'other' })).map((e) => e.id)).toEqual(['c']);
    expect(await h.dlq.expired()).toEqual([]);
    h.clock.advance(2 * MIN);
    expect((await h.dlq.expired()).map((e) => e.id)).toEqual(['a']);
    await h.dlq.expire();
    expect((await h.dlq.expired()).map((e) => [e.id, e.status])).toEqual([['a', 'expired']]);
  });
});
