/**
 * The dead-letter half of the store conformance suite: every Store runs these same cases through
 * the `Store` interface only, with explicit times.
 */
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_STATUSES,
  type DeadLetterStatus,
  type NewDeadLetter,
} from '../../src/core/dead-letter.js';
import { ValidationError } from '../../src/core/errors.js';
import type { Store } from '../../src/store/store.js';
import {
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  type StoreFactory,
  standaloneDeadLetter,
  T0,
  useFreshStore,
} from './dead-letter-fixtures.js';
import { regroupCases } from './dead-letter-regroup-cases.js';
import { runDeadLetterSearchConformance } from './dead-letter-search-suite.js';
import { claim } from './fixtures.js';

const HOUR = 3_600_000;

function dl(id: string, at: number, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return standaloneDeadLetter(id, at, overrides);
}

async function seed(store: Store, records: NewDeadLetter[], now = T0): Promise<void> {
  const { inserted } = await store.insertDeadLetters({ deadLetters: records, now });
  expect(inserted).toBe(records.length);
}

async function setStatus(store: Store, id: string, status: DeadLetterStatus, now = T0): Promise<void> {
  if (status === 'resolved') {
    await store.resolveDeadLetters({ ids: [id], now, actor: 'test' });
  } else if (status === 'replaying') {
    expect((await store.acquireDeadLetterForReplay({ id, now })).ok).toBe(true);
  } else if (status === 'expired') {
    await store.transitionDeadLetters({ action: 'expire', now: now + 1e12, limit: 1, ids: [id] });
  } else if (status === 'archived') {
    await store.resolveDeadLetters({ ids: [id], now, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now, before: now + 1, limit: 1, ids: [id] });
  } else if (status === 'requires_review') {
    const a = await store.acquireDeadLetterForReplay({ id, now });
    if (!a.ok) throw new Error(`acquire failed: ${a.reason}`);
    await store.finishDeadLetterReplay({
      id,
      generation: a.deadLetter.generation,
      now,
      status: 'requires_review',
    });
  }
}

/** Registers the dead-letter conformance cases for a store. */
export function runDeadLetterConformance(name: string, factory: StoreFactory): void {
  describe(`${name}: dead letters`, () => {
    const store = useFreshStore(factory);
    regroupCases(factory);
    runDeadLetterSearchConformance(store);

    describe('capture', () => {
      it('stores every field and reads it back; inserting an id again changes nothing', async () => {
        const record = dl('dl-1', T0, {
          jobId: null,
          payload: { nested: { list: [1, 'two', null] } },
          attempts: [
            {
              attempt: 1,
              outcome: 'failed',
              startedAt: T0 - 10,
              endedAt: T0 - 5,
              workerId: 'w',
              message: 'x',
            },
          ],
        });
        expect(await store().insertDeadLetters({ deadLetters: [record], now: T0 })).toEqual({
          inserted: 1,
          ids: ['dl-1'],
        });
        const again = await store().insertDeadLetters({
          deadLetters: [{ ...record, errorMessage: 'changed' }, dl('dl-2', T0)],
          now: T0 + 1,
        });
        expect(again).toEqual({ inserted: 1, ids: ['dl-2'] });
        const got = await store().getDeadLetter({ id: 'dl-1' });
        expect(got).toMatchObject({
          ...record,
          status: 'pending',
          generation: 1,
          replayCount: 0,
          resolvedAt: null,
          archivedAt: null,
          updatedAt: T0,
          replayOf: null,
          replayStartedAt: null,
          lastReplayAt: null,
          lastReplayError: null,
          replayJobId: null,
        });
        expect(got?.errorMessage).toBe('card declined');
        expect(await store().getDeadLetter({ id: 'missing' })).toBeNull();
      });

      it('honours initialStatus, replayCount and replayOf of imported records', async () => {
        await seed(store(), [
          dl('dl-a', T0, { initialStatus: 'requires_review', replayCount: 2, replayOf: 'dl-0' }),
        ]);
        expect(await store().getDeadLetter({ id: 'dl-a' })).toMatchObject({
          status: 'requires_review',
          replayCount: 2,
          replayOf: 'dl-0',
        });
      });

      it('failJob copies the job payload through redactPayload, and getDeadLetterByJob finds it', async () => {
        const job = await insertAndClaim(store(), {
          job: { payload: { user: 'ann', password: 'hunter2', card: { token: 't' } } },
        });
        const result = await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: {
            kind: 'dead_letter',
            deadLetter: {
              ...deadLetterFromJob('dl-job', T0 + 5),
              redactPayload: (p) => ({ ...(p as object), password: '[REDACTED]', card: '[REDACTED]' }),
            },
          },
          now: T0 + 5,
        });
        expect(result).toMatchObject({ ok: true, deadLetterId: 'dl-job' });
        const entry = await store().getDeadLetterByJob({ jobId: job.id });
        expect(entry?.id).toBe('dl-job');
        expect(entry?.payload).toEqual({ user: 'ann', password: '[REDACTED]', card: '[REDACTED]' });
        expect(entry?.attempts).toHaveLength(1);
        expect(entry?.queue).toBe('q');
        // The job row keeps its own payload (replays need it).
        expect((await store().getJob({ id: job.id }))?.payload).toMatchObject({ password: 'hunter2' });
      });

      it('a throwing redactPayload stores a marker, never the raw payload', async () => {
        const job = await insertAndClaim(store(), { job: { payload: { password: 'p' } } });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: {
            kind: 'dead_letter',
            deadLetter: {
              ...deadLetterFromJob('dl-throw', T0 + 5),
              redactPayload: () => {
                throw new Error('bad transform');
              },
            },
          },
          now: T0 + 5,
        });
        const entry = await store().getDeadLetter({ id: 'dl-throw' });
        expect(JSON.stringify(entry?.payload)).not.toContain('"p"');
      });

      it('orphan recovery applies redactPayload too', async () => {
        // Orphaned beside others (a suspect), then alone in quarantine.
        const first = await insertAndClaim(store(), { job: { payload: { apiKey: 'k', n: 1 } }, leaseMs: 10 });
        await store().recoverExpiredLeases({
          now: T0 + 50,
          maxOrphans: 1,
          limit: 10,
          deadLetterFor: () => deadLetterFromJob('dl-unused', T0 + 50),
        });
        const [job] = await claim(store(), { now: T0 + 50, leaseMs: 10, quarantine: true });
        expect(job?.id).toBe(first.id);
        const result = await store().recoverExpiredLeases({
          now: T0 + 100,
          maxOrphans: 1,
          limit: 10,
          deadLetterFor: () => ({
            ...deadLetterFromJob('dl-orphan', T0 + 100, { failureType: 'poison_pill' }),
            redactPayload: (p) => ({ ...(p as object), apiKey: '[REDACTED]' }),
          }),
        });
        expect(result.deadLettered).toEqual([{ jobId: first.id, deadLetterId: 'dl-orphan' }]);
        expect((await store().getDeadLetter({ id: 'dl-orphan' }))?.payload).toEqual({
          apiKey: '[REDACTED]',
          n: 1,
        });
      });

      it('a replayed job that fails again links back and carries the replay ledger over', async () => {
        await seed(store(), [dl('dl-orig', T0, { maxReplays: 2 })]);
        const acquired = await store().acquireDeadLetterForReplay({ id: 'dl-orig', now: T0 });
        expect(acquired.ok).toBe(true);
        const job = await insertAndClaim(store(), { job: { replayOf: 'dl-orig' }, now: T0 + 10 });
        await store().finishDeadLetterReplay({
          id: 'dl-orig',
          generation: acquired.ok ? acquired.deadLetter.generation : 0,
          now: T0 + 10,
          status: 'resolved',
          replayJobId: job.id,
        });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 20),
          outcome: {
            kind: 'dead_letter',
            deadLetter: deadLetterFromJob('dl-next', T0 + 20, { maxReplays: 9 }),
          },
          now: T0 + 20,
        });
        expect(await store().getDeadLetter({ id: 'dl-next' })).toMatchObject({
          replayOf: 'dl-orig',
          replayCount: 1,
          maxReplays: 2,
          status: 'pending',
        });
        // Spend the rest of the budget: the next failure of the chain lands in requires_review.
        const again = await store().acquireDeadLetterForReplay({ id: 'dl-next', now: T0 + 30 });
        expect(again.ok && again.deadLetter.replayCount).toBe(2);
        const job2 = await insertAndClaim(store(), { job: { replayOf: 'dl-next' }, now: T0 + 40 });
        await store().failJob({
          id: job2.id,
          token: job2.token,
          attempt: failedAttempt(job2, T0 + 50),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-last', T0 + 50) },
          now: T0 + 50,
        });
        expect(await store().getDeadLetter({ id: 'dl-last' })).toMatchObject({
          replayOf: 'dl-next',
          replayCount: 2,
          status: 'requires_review',
        });
      });
    });

    describe('listing', () => {
      async function seedMixed(): Promise<void> {
        await seed(store(), [
          dl('a', T0 + 1, {
            domain: 'billing',
            queue: 'pay',
            failureType: 'timeout',
            errorMessage: 'Gateway TIMEOUT after 30s',
            payload: { customerId: 42, tier: 'gold', vip: true },
          }),
          dl('b', T0 + 2, {
            domain: 'billing',
            queue: 'pay',
            failureType: 'permanent',
            errorMessage: 'card declined',
            payload: { customerId: 7, tier: 'free' },
          }),
          dl('c', T0 + 3, {
            domain: 'mail',
            queue: 'mail',
            failureType: 'permanent',
            entityType: 'user',
            entityId: 'u1',
            errorMessage: '100% broken_',
            payload: { customerId: 42, items: [{ sku: 'x1' }] },
          }),
          dl('d', T0 + 4, {
            domain: 'mail',
            queue: null,
            failureType: 'timeout',
            userId: 'u9',
            errorMessage: 'smtp down',
            payload: { nested: { deep: { id: 'abc' } } },
            metadata: { region: 'us' },
          }),
          dl('e', T0 + 4, {
            domain: 'hooks',
            queue: null,
            failureType: 'timeout',
            errorMessage: 'hook 500',
            payload: null,
          }),
        ]);
      }
      const ids = async (params: Parameters<Store['listDeadLetters']>[0]) =>
        (await store().listDeadLetters(params)).items.map((i) => i.id);

      it('returns all statuses newest first by default, with the total', async () => {
        await seedMixed();
        await setStatus(store(), 'b', 'resolved');
        await setStatus(store(), 'c', 'archived');
        const page = await store().listDeadLetters({ limit: 10 });
        expect(page.total).toBe(5);
        expect(page.items.map((i) => i.id)).toEqual(['d', 'e', 'c', 'b', 'a']);
        expect(await ids({ limit: 10, order: 'oldest' })).toEqual(['a', 'b', 'c', 'e', 'd']);
        expect(await ids({ limit: 10, statuses: ['resolved', 'archived'] })).toEqual(['c', 'b']);
      });

      it('filters by domain, queue, failure type, entity, user, error text and time range', async () => {
        await seedMixed();
        expect(await ids({ limit: 10, domain: 'billing' })).toEqual(['b', 'a']);
        expect(await ids({ limit: 10, domains: ['hooks', 'billing'] })).toEqual(['e', 'b', 'a']);
        expect(await ids({ limit: 10, excludeDomains: ['billing', 'hooks'] })).toEqual(['d', 'c']);
        expect(await ids({ limit: 10, queue: 'pay', failureType: 'timeout' })).toEqual(['a']);
        expect(await ids({ limit: 10, entityType: 'user', entityId: 'u1' })).toEqual(['c']);
        expect(await ids({ limit: 10, userId: 'u9' })).toEqual(['d']);
        expect(await ids({ limit: 10, errorText: 'timeout' })).toEqual(['a']);
        expect(await ids({ limit: 10, errorText: '100%' })).toEqual(['c']);
        expect(await ids({ limit: 10, errorText: 'n_' })).toEqual(['c']);
        expect(await ids({ limit: 10, from: T0 + 2, to: T0 + 4 })).toEqual(['c', 'b']);
        const page = await store().listDeadLetters({ limit: 1, domain: 'mail' });
        expect(page.total).toBe(2);
      });

      it('filters on JSON fields by path', async () => {
        await seedMixed();
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'customerId', value: 42 }] })).toEqual(
          ['c', 'a'],
        );
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'customerId', op: 'lt', value: 42 }] }),
        ).toEqual(['b']);
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'tier', value: 'gold' }] })).toEqual([
          'a',
        ]);
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'vip', value: true }] })).toEqual([
          'a',
        ]);
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'items[0].sku', value: 'x1' }] }),
        ).toEqual(['c']);
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'nested.deep.id', op: 'exists' }] }),
        ).toEqual(['d']);
        expect(await ids({ limit: 10, json: [{ field: 'metadata', path: 'region', value: 'us' }] })).toEqual([
          'd',
        ]);
        const total = await store().listDeadLetters({
          limit: 0,
          json: [{ field: 'payload', path: 'customerId', value: 42 }],
        });
        expect(total).toMatchObject({ items: [], total: 2, nextCursor: null });
        await expect(
          store().listDeadLetters({
            limit: 1,
            json: [{ field: 'payload', path: "x') OR 1=1 --", value: 1 }],
          }),
        ).rejects.toBeInstanceOf(ValidationError);
      });

      it('filters by TTL, replay budget and last replay time', async () => {
        await seed(store(), [
          dl('x', T0, { expiresAt: T0 + HOUR, maxReplays: 1 }),
          dl('y', T0, { expiresAt: T0 + 3 * HOUR, maxReplays: 1 }),
          dl('z', T0, { expiresAt: null, maxReplays: 1 }),
        ]);
        expect((await ids({ limit: 10, expiresBefore: T0 + 2 * HOUR })).sort()).toEqual(['x']);
        const a = await store().acquireDeadLetterForReplay({ id: 'y', now: T0 + 10 });
        if (!a.ok) throw new Error('acquire');
        await store().finishDeadLetterReplay({
          id: 'y',
          generation: a.deadLetter.generation,
          now: T0 + 10,
          status: 'pending',
          error: 'e',
        });
        expect((await ids({ limit: 10, belowReplayCap: true })).sort()).toEqual(['x', 'z']);
        expect((await ids({ limit: 10, lastReplayBefore: T0 + 10 })).sort()).toEqual(['x', 'z']);
        expect((await ids({ limit: 10, lastReplayBefore: T0 + 11 })).sort()).toEqual(['x', 'y', 'z']);
      });

      it('pages by offset and by cursor without gaps or repeats, ties included', async () => {
        const records = Array.from({ length: 57 }, (_, i) => dl(`p${i}`, T0 + Math.floor(i / 4)));
        await seed(store(), records);
        for (const order of ['newest', 'oldest'] as const) {
          const byOffset: string[] = [];
          for (let offset = 0; offset < 57; offset += 10) {
            const page = await store().listDeadLetters({ limit: 10, offset, order });
            expect(page.total).toBe(57);
            byOffset.push(...page.items.map((i) => i.id));
          }
          const byCursor: string[] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = await store().listDeadLetters({
              limit: 10,
              order,
              withTotal: false,
              ...(cursor ? { cursor } : {}),
            });
            expect(page.total).toBeNull();
            byCursor.push(...page.items.map((i) => i.id));
            if (!page.nextCursor) break;
            cursor = page.nextCursor;
          }
          expect(byOffset).toHaveLength(57);
          expect(new Set(byOffset).size).toBe(57);
          expect(byCursor).toEqual(byOffset);
          const times = byOffset.map((id) => records.find((r) => r.id === id)!.deadLetteredAt);
          const sorted = [...times].sort((x, y) => (order === 'newest' ? y - x : x - y));
          expect(times).toEqual(sorted);
        }
      });

      it('rejects a cursor it did not make', async () => {
        await expect(store().listDeadLetters({ limit: 1, cursor: 'garbage' })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });
    });

    describe('facets, failure groups and stats', () => {
      it('counts status x domain, scoping each facet by the other filter', async () => {
        await seed(store(), [
          dl('f1', T0, { domain: 'billing' }),
          dl('f2', T0, { domain: 'billing' }),
          dl('f3', T0, { domain: 'mail' }),
          dl('f4', T0, { domain: 'mail' }),
        ]);
        await setStatus(store(), 'f2', 'resolved');
        await setStatus(store(), 'f4', 'archived');
        expect(await store().facetDeadLetters({})).toMatchObject({
          byStatus: { pending: 2, resolved: 1, archived: 1 },
          byDomain: { billing: 2, mail: 2 },
        });
        const scoped = await store().facetDeadLetters({ status: 'pending', domain: 'mail' });
        expect(scoped.byStatus).toEqual({ pending: 1, archived: 1 });
        expect(scoped.byDomain).toEqual({ billing: 1, mail: 1 });
        expect(scoped.cells).toHaveLength(4);
        await store().purgeDeadLetters({ limit: 10, now: T0 });
        const after = await store().facetDeadLetters({});
        expect(after.byStatus).toEqual({ pending: 2, resolved: 1 });
        expect(after.byDomain).toEqual({ billing: 2, mail: 1 });
      });

      it('groups failures by fingerprint with counts, first/last seen and a sample', async () => {
        await seed(store(), [
          dl('g1', T0 + 1, { fingerprint: 'fp-a' }),
          dl('g2', T0 + 5, { fingerprint: 'fp-a' }),
          dl('g3', T0 + 3, { fingerprint: 'fp-a', domain: 'other' }),
          dl('g4', T0 + 2, { fingerprint: 'fp-b' }),
        ]);
        const { groups, scan } = await store().topDeadLetterFailures({ limit: 10 });
        expect(scan).toBeNull();
        expect(groups.map((g) => [g.fingerprint, g.count, g.firstSeenAt, g.lastSeenAt])).toEqual([
          ['fp-a', 3, T0 + 1, T0 + 5],
          ['fp-b', 1, T0 + 2, T0 + 2],
        ]);
        expect(groups[0]!.sampleId).toBe('g2');
        const billing = (await store().topDeadLetterFailures({ limit: 1, domain: 'billing' })).groups;
        expect(billing).toHaveLength(1);
        expect(billing[0]!.count).toBe(2);
      });

      it('reports totals, the oldest pending entry, replayable and due-for-expiry counts', async () => {
        await seed(store(), [
          dl('s1', T0 + 10, { expiresAt: T0 + HOUR }),
          dl('s2', T0 + 20, { expiresAt: T0 + 5 * HOUR }),
          dl('s3', T0 + 5, { maxReplays: 0 }),
        ]);
        await setStatus(store(), 's3', 'resolved');
        const stats = await store().getDeadLetterStats({ now: T0 + 2 * HOUR });
        expect(stats).toMatchObject({
          total: 3,
          oldestPendingAt: T0 + 10,
          replayable: 2,
          dueForExpiry: 1,
          purgedTotal: 0,
        });
        expect(stats.byStatus).toMatchObject({ pending: 2, resolved: 1, replaying: 0 });
      });
    });

    describe('totals', () => {
      it('list totals agree with the rows, whichever path counts them, through every kind of change', async () => {
        const domains = ['a', 'b', 'c'];
        await seed(
          store(),
          Array.from({ length: 30 }, (_, i) =>
            dl(`n${i}`, T0 + i, {
              domain: domains[i % 3]!,
              expiresAt: T0 + (i % 2 ? 10 : 1e9),
              maxReplays: i % 5 === 0 ? 0 : 2,
              ...(i % 7 === 0 ? { initialStatus: 'requires_review' as const } : {}),
            }),
          ),
        );
        // A duplicate import changes no count.
        await store().insertDeadLetters({ deadLetters: [dl('n1', T0)], now: T0 });
        const job = await insertAndClaim(store(), { job: { payload: {} } });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 1),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('n-job', T0 + 1, { domain: 'a' }) },
          now: T0 + 1,
        });
        await store().resolveDeadLetters({ ids: ['n2', 'n3', 'n4'], now: T0 + 50, actor: 't' });
        await setStatus(store(), 'n8', 'replaying');
        await store().transitionDeadLetters({ action: 'expire', now: T0 + 100, limit: 4 });
        await store().transitionDeadLetters({
          action: 'archive',
          now: T0 + 200,
          before: T0 + 150,
          limit: 100,
        });
        await store().purgeDeadLetters({ limit: 2, now: T0 + 300 });
        const statuses: DeadLetterStatus[][] = [
          [],
          ['pending'],
          ['pending', 'requires_review'],
          ['archived'],
          ['resolved', 'expired'],
          ['replaying'],
        ];
        for (const st of statuses) {
          for (const domain of [undefined, 'a', 'b']) {
            const filter = { statuses: st, ...(domain ? { domain } : {}) };
            const page = await store().listDeadLetters({ ...filter, limit: 1000 });
            // `from` forces a real COUNT(*) instead of the maintained counts.
            const counted = await store().listDeadLetters({ ...filter, from: 0, limit: 0 });
            expect([page.total, counted.total]).toEqual([page.items.length, page.items.length]);
          }
        }
        const stats = await store().getDeadLetterStats({ now: T0 + 300 });
        const all = (await store().listDeadLetters({ limit: 1000 })).items;
        expect(stats.total).toBe(all.length);
        expect(stats.replayable).toBe(
          all.filter((d) => d.status === 'pending' && d.replayCount < d.maxReplays).length,
        );
        const facets = await store().facetDeadLetters({});
        for (const status of DEAD_LETTER_STATUSES) {
          expect(facets.byStatus[status] ?? 0).toBe(all.filter((d) => d.status === status).length);
        }
      });
    });

    describe('replay state changes', () => {
      it('of two concurrent acquires exactly one wins', async () => {
        await seed(store(), [dl('r1', T0)]);
        const results = await Promise.all([
          store().acquireDeadLetterForReplay({ id: 'r1', now: T0 }),
          store().acquireDeadLetterForReplay({ id: 'r1', now: T0 }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const lost = results.find((r) => !r.ok);
        expect(lost).toMatchObject({
          ok: false,
          reason: 'invalid_status',
          deadLetter: { status: 'replaying' },
        });
      });

      it('acquire spends one replay, bumps the generation and checks the expected generation and cap', async () => {
        await seed(store(), [dl('r2', T0, { maxReplays: 1 })]);
        expect(
          await store().acquireDeadLetterForReplay({ id: 'r2', now: T0, expectedGeneration: 7 }),
        ).toMatchObject({
          ok: false,
          reason: 'stale_generation',
        });
        const a = await store().acquireDeadLetterForReplay({ id: 'r2', now: T0 + 1, expectedGeneration: 1 });
        expect(a).toMatchObject({
          ok: true,
          deadLetter: { status: 'replaying', generation: 2, replayCount: 1, replayStartedAt: T0 + 1 },
        });
        await store().finishDeadLetterReplay({
          id: 'r2',
          generation: 2,
          now: T0 + 2,
          status: 'pending',
          error: 'boom',
        });
        expect(await store().acquireDeadLetterForReplay({ id: 'r2', now: T0 + 3 })).toMatchObject({
          ok: false,
          reason: 'at_cap',
        });
        expect(await store().acquireDeadLetterForReplay({ id: 'nope', now: T0 })).toEqual({
          ok: false,
          reason: 'not_found',
          deadLetter: null,
        });
      });

      it('force takes requires_review, grants a fresh budget and writes the audit row atomically', async () => {
        await seed(store(), [dl('r3', T0, { maxReplays: 1 })]);
        await setStatus(store(), 'r3', 'requires_review');
        expect(await store().acquireDeadLetterForReplay({ id: 'r3', now: T0 })).toMatchObject({
          reason: 'invalid_status',
        });
        const forced = await store().acquireDeadLetterForReplay({
          id: 'r3',
          now: T0 + 5,
          force: { freshBudget: 2 },
          audit: { action: 'force_redrive', actor: 'alice', reason: 'fixed bug', ticket: 'INC-1' },
        });
        expect(forced).toMatchObject({
          ok: true,
          deadLetter: { status: 'replaying', replayCount: 2, maxReplays: 3 },
        });
        const audit = await store().listAudit({ deadLetterId: 'r3', limit: 10 });
        expect(audit.items).toHaveLength(1);
        expect(audit.items[0]).toMatchObject({
          action: 'force_redrive',
          actor: 'alice',
          reason: 'fixed bug',
          ticket: 'INC-1',
          at: T0 + 5,
          beforeStatus: 'requires_review',
          afterStatus: 'replaying',
          beforeGeneration: 3,
          afterGeneration: 4,
        });
        for (const status of ['resolved', 'archived'] as const) {
          await seed(store(), [dl(`r3-${status}`, T0)]);
          await setStatus(store(), `r3-${status}`, status);
          expect(
            await store().acquireDeadLetterForReplay({
              id: `r3-${status}`,
              now: T0,
              force: { freshBudget: 2 },
            }),
          ).toMatchObject({ ok: false, reason: 'invalid_status' });
        }
      });

      it('finish moves only the acquisition it names, and records the outcome', async () => {
        await seed(store(), [dl('r4', T0)]);
        const a = await store().acquireDeadLetterForReplay({ id: 'r4', now: T0 });
        if (!a.ok) throw new Error('acquire');
        expect(
          await store().finishDeadLetterReplay({
            id: 'r4',
            generation: a.deadLetter.generation - 1,
            now: T0,
            status: 'resolved',
          }),
        ).toMatchObject({ ok: false, reason: 'stale_generation' });
        const done = await store().finishDeadLetterReplay({
          id: 'r4',
          generation: a.deadLetter.generation,
          now: T0 + 9,
          status: 'resolved',
          replayJobId: '123',
          resolvedBy: 'bob',
          note: 'ok',
          audit: { action: 'replay', actor: 'bob' },
        });
        expect(done).toMatchObject({
          ok: true,
          deadLetter: {
            status: 'resolved',
            resolvedAt: T0 + 9,
            resolvedBy: 'bob',
            resolutionNote: 'ok',
            replayJobId: '123',
            lastReplayAt: T0 + 9,
            lastReplayError: null,
          },
        });
        expect(
          await store().finishDeadLetterReplay({
            id: 'r4',
            generation: done.deadLetter!.generation,
            now: T0,
            status: 'pending',
          }),
        ).toMatchObject({ ok: false, reason: 'invalid_status' });
        expect((await store().listAudit({ deadLetterId: 'r4', limit: 5 })).items[0]).toMatchObject({
          action: 'replay',
          beforeStatus: 'replaying',
          afterStatus: 'resolved',
        });
      });
    });

    describe('resolve, transitions and purge', () => {
      it('resolves in one call and reports resolved, skipped (with reason) and not found', async () => {
        await seed(store(), [dl('v1', T0), dl('v2', T0), dl('v3', T0), dl('v4', T0)]);
        await setStatus(store(), 'v2', 'replaying');
        await setStatus(store(), 'v4', 'requires_review');
        const result = await store().resolveDeadLetters({
          ids: ['v1', 'v2', 'v3', 'v4', 'v9', 'v1'],
          now: T0 + 1,
          actor: 'ops',
          note: 'bulk close',
          expectedGenerations: { v3: 5 },
        });
        expect(result.resolved).toEqual(['v1', 'v4']);
        expect(result.skipped).toEqual([
          { id: 'v2', status: 'replaying', reason: 'invalid_status' },
          { id: 'v3', status: 'pending', reason: 'stale_generation' },
        ]);
        expect(result.notFound).toEqual(['v9']);
        expect(await store().getDeadLetter({ id: 'v1' })).toMatchObject({
          status: 'resolved',
          resolvedBy: 'ops',
          resolutionNote: 'bulk close',
          resolvedAt: T0 + 1,
          generation: 2,
        });
        const audit = await store().listAudit({ action: 'resolve', limit: 10 });
        expect(audit.items.map((e) => e.deadLetterId).sort()).toEqual(['v1', 'v4']);
      });

      it('reads expectedGenerations by own key only (ids such as toString and __proto__)', async () => {
        const ids = ['toString', '__proto__', 'constructor', 'hasOwnProperty'];
        await seed(
          store(),
          ids.map((id) => dl(id, T0)),
        );
        const stale = await store().resolveDeadLetters({
          ids,
          now: T0 + 1,
          actor: 'ops',
          // An own `__proto__` key, as JSON.parse makes it: that entry is stale, the others unguarded.
          expectedGenerations: JSON.parse('{"__proto__": 7}') as Record<string, number>,
        });
        expect(stale.skipped).toEqual([{ id: '__proto__', status: 'pending', reason: 'stale_generation' }]);
        expect(stale.resolved).toEqual(['toString', 'constructor', 'hasOwnProperty']);
        await seed(store(), [dl('valueOf', T0)]);
        const unguarded = await store().resolveDeadLetters({
          ids: ['valueOf', '__proto__'],
          now: T0 + 2,
          actor: 'ops',
          expectedGenerations: {},
        });
        expect(unguarded.resolved).toEqual(['valueOf', '__proto__']);
        expect(unguarded.skipped).toEqual([]);
      });

      it('expires open entries past their TTL in bounded batches', async () => {
        await seed(store(), [
          dl('t1', T0, { expiresAt: T0 + 1 }),
          dl('t2', T0, { expiresAt: T0 + 2 }),
          dl('t3', T0, { expiresAt: T0 + 3 }),
          dl('t4', T0, { expiresAt: T0 + 1000 }),
          dl('t5', T0, { expiresAt: null }),
          dl('t6', T0, { expiresAt: T0 + 1 }),
        ]);
        await setStatus(store(), 't6', 'resolved');
        const first = await store().transitionDeadLetters({ action: 'expire', now: T0 + 10, limit: 2 });
        expect(first.ids).toHaveLength(2);
        const second = await store().transitionDeadLetters({ action: 'expire', now: T0 + 10, limit: 2 });
        expect([...first.ids, ...second.ids].sort()).toEqual(['t1', 't2', 't3']);
        expect((await store().getDeadLetter({ id: 't1' }))?.status).toBe('expired');
        expect((await store().getDeadLetter({ id: 't6' }))?.status).toBe('resolved');
      });

      it('archives resolved and expired entries older than the cutoff; purge deletes only archived ones', async () => {
        await seed(store(), [dl('h1', T0), dl('h2', T0), dl('h3', T0), dl('h4', T0, { expiresAt: T0 + 1 })]);
        await store().resolveDeadLetters({ ids: ['h1'], now: T0, actor: 't' });
        await store().resolveDeadLetters({ ids: ['h2'], now: T0 + 100, actor: 't' });
        await store().transitionDeadLetters({ action: 'expire', now: T0 + 2, limit: 10 });
        const archived = await store().transitionDeadLetters({
          action: 'archive',
          now: T0 + 200,
          before: T0 + 50,
          limit: 10,
        });
        expect(archived.ids.sort()).toEqual(['h1', 'h4']);
        expect(await store().getDeadLetter({ id: 'h1' })).toMatchObject({
          status: 'archived',
          archivedAt: T0 + 200,
        });
        expect((await store().purgeDeadLetters({ ids: ['h2', 'h3'], limit: 10, now: T0 })).ids).toEqual([]);
        expect((await store().purgeDeadLetters({ before: T0 + 100, limit: 10, now: T0 + 300 })).ids).toEqual(
          [],
        );
        const purged = await store().purgeDeadLetters({ before: T0 + 201, limit: 1, now: T0 + 300 });
        expect(purged.ids).toHaveLength(1);
        expect((await store().purgeDeadLetters({ limit: 10, now: T0 + 300 })).ids).toHaveLength(1);
        expect(await store().getDeadLetter({ id: 'h1' })).toBeNull();
        expect(await store().getDeadLetter({ id: 'h2' })).not.toBeNull();
        expect((await store().getDeadLetterStats({ now: T0 })).purgedTotal).toBe(2);
      });

      it('releases abandoned replays to pending, or to requires_review when the budget is spent', async () => {
        await seed(store(), [dl('k1', T0, { maxReplays: 2 }), dl('k2', T0, { maxReplays: 1 }), dl('k3', T0)]);
        await store().acquireDeadLetterForReplay({ id: 'k1', now: T0 });
        await store().acquireDeadLetterForReplay({ id: 'k2', now: T0 });
        await store().acquireDeadLetterForReplay({ id: 'k3', now: T0 + 1000 });
        const released = await store().transitionDeadLetters({
          action: 'release_stuck',
          now: T0 + 2000,
          before: T0 + 500,
          limit: 10,
        });
        expect(released.ids.sort()).toEqual(['k1', 'k2']);
        expect((await store().getDeadLetter({ id: 'k1' }))?.status).toBe('pending');
        expect((await store().getDeadLetter({ id: 'k2' }))?.status).toBe('requires_review');
        expect((await store().getDeadLetter({ id: 'k3' }))?.status).toBe('replaying');
      });
    });

    describe('audit trail', () => {
      it('appends entries and lists them newest first, filtered and paged', async () => {
        const base = {
          reason: null,
          ticket: null,
          beforeStatus: null,
          afterStatus: null,
          beforeGeneration: null,
          afterGeneration: null,
          details: {},
        };
        const { seqs } = await store().appendAudit({
          entries: Array.from({ length: 5 }, (_, i) => ({
            ...base,
            deadLetterId: i % 2 ? 'x' : null,
            action: i % 2 ? 'note' : 'purge',
            actor: `a${i}`,
            at: T0 + i,
            details: { i },
          })),
        });
        expect(seqs).toHaveLength(5);
        const first = await store().listAudit({ limit: 2 });
        expect(first.items.map((e) => e.actor)).toEqual(['a4', 'a3']);
        const second = await store().listAudit({ limit: 2, before: first.nextBefore! });
        expect(second.items.map((e) => e.actor)).toEqual(['a2', 'a1']);
        expect(
          (await store().listAudit({ limit: 10, deadLetterId: 'x' })).items.map((e) => e.details),
        ).toEqual([{ i: 3 }, { i: 1 }]);
        expect((await store().listAudit({ limit: 10, action: 'purge', actor: 'a2' })).items).toHaveLength(1);
      });
    });
  });
}
