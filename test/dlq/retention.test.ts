import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReplayRegistry, ValidationError } from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let h: DlqHarness;
beforeEach(() => {
  h = createDlqHarness({
    maintenanceBatchSize: 7,
    replayHandlers: new ReplayRegistry().forDomain('d', async () => undefined),
  });
});
afterEach(async () => {
  await h.cleanup();
});

async function storeMany(n: number, prefix: string): Promise<string[]> {
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      h.dlq.store({ domain: 'd', failureType: 'f', entityId: `${prefix}${i}` }),
    ),
  );
  return results.map((r) => r.id!);
}

describe('retention on a fake clock across days', () => {
  it('expires after 72 h, archives after 30 days, purges after 30 more, counting every removal', async () => {
    const events: string[] = [];
    for (const e of ['dead_letter.expired', 'dead_letter.archived', 'dead_letter.purged'] as const) {
      h.dlq.on(e, (payload) => events.push(`${e}:${payload.ids.length}`));
    }
    // Day 0: 20 failures; 5 get resolved the same day.
    const day0 = await storeMany(20, 'a');
    await h.dlq.resolveBatch(day0.slice(0, 5), { actor: 'ops' });
    // Day 1: 10 more.
    h.clock.advance(DAY);
    const day1 = await storeMany(10, 'b');
    // Day 2: nothing is past its 72 h TTL yet.
    h.clock.advance(DAY);
    expect(await h.dlq.expire()).toBe(0);
    // Day 3 + 1 h: the 15 open entries of day 0 expire (in batches of 7), day 1's do not.
    h.clock.advance(DAY + HOUR);
    expect((await h.dlq.cleanupStats()).expirable).toBe(15);
    expect(await h.dlq.expire()).toBe(15);
    expect((await h.dlq.facets()).byStatus).toEqual({ pending: 10, resolved: 5, expired: 15 });
    // Day 4 + 1 h: day 1's expire too.
    h.clock.advance(DAY);
    expect(await h.dlq.cleanup()).toEqual({ expired: 10, archived: 0 });
    // Day 33 + 2 h: the resolved ones (changed on day 0) and day 0's expired ones (day 3 + 1 h)
    // have been closed for 30 days; day 1's (expired on day 4 + 1 h) have not.
    h.clock.advance(29 * DAY + HOUR);
    const stats = await h.dlq.cleanupStats();
    expect(stats).toMatchObject({
      retentionDays: 30,
      archivable: 20,
      purgeable: 0,
      canArchive: true,
      canPurge: false,
    });
    expect(await h.dlq.cleanup()).toEqual({ expired: 0, archived: 20 });
    // Day 35 + 2 h: day 1's expired ones are archived too.
    h.clock.advance(2 * DAY);
    expect(await h.dlq.archiveOlderThan()).toBe(10);
    expect((await h.dlq.facets()).byStatus).toEqual({ archived: 30 });
    // Nothing archived is 30 days old yet.
    expect(await h.dlq.countArchivedOlderThan(30)).toBe(0);
    expect(await h.dlq.purgeArchived()).toBe(0);
    // Day 64 + 2 h: the first 20 archived (day 33) are older than 30 days; the other 10 (day 35) are not.
    h.clock.advance(29 * DAY);
    expect(await h.dlq.countArchivedOlderThan(30)).toBe(20);
    expect(await h.dlq.purgeArchived({ actor: 'retention-job' })).toBe(20);
    h.clock.advance(2 * DAY);
    expect(await h.dlq.purgeArchived()).toBe(10);
    // Every removal is counted: metrics, events, the store's tally and the audit trail.
    const after = await h.dlq.stats();
    expect(after).toMatchObject({ total: 0, purgedTotal: 30 });
    expect(h.dlq.metrics()).toMatchObject({ expired: 25, archived: 30, purged: 30, resolved: 5 });
    expect(events).toEqual([
      'dead_letter.expired:15',
      'dead_letter.expired:10',
      'dead_letter.archived:20',
      'dead_letter.archived:10',
      'dead_letter.purged:20',
      'dead_letter.purged:10',
    ]);
    const purges = await h.dlq.audit({ action: 'purge' });
    expect(purges.items.map((e) => [e.actor, e.details.count])).toEqual([
      ['retention', 10],
      ['retention-job', 20],
    ]);
    expect(purges.items[1]!.details.ids).toHaveLength(20);
    expect(new Set([...day0, ...day1]).size).toBe(30);
  });

  it('counts "older than 0 days" up to this millisecond: a purge right after cleanup removes what it archived', async () => {
    const ids = await storeMany(3, 'z');
    await h.dlq.resolveBatch(ids, { actor: 'ops' });
    // The fake clock stands still: resolve, archive and purge all happen in one millisecond.
    expect(await h.dlq.cleanup({ daysOld: 0 })).toEqual({ expired: 0, archived: 3 });
    expect(await h.dlq.countArchivedOlderThan(0)).toBe(3);
    expect(await h.dlq.purgeArchived({ olderThanDays: 0 })).toBe(3);
    expect((await h.dlq.facets()).byStatus).toEqual({});
  });

  it('purges explicit ids only when they are archived', async () => {
    const [a, b] = await storeMany(2, 'x');
    await h.dlq.resolve(a!, { actor: 'ops' });
    h.clock.advance(31 * DAY);
    await h.dlq.archiveOlderThan(30);
    expect(await h.dlq.purgeArchived({ ids: [a!, b!] })).toBe(1);
    expect(await h.dlq.get(a!)).toBeNull();
    expect((await h.dlq.get(b!))?.status).toBe('pending');
  });

  it('never removes open entries, however old', async () => {
    const ids = await storeMany(3, 'o');
    const noTtl = await h.dlq.store({ domain: 'd', failureType: 'f', ttlMs: null });
    h.clock.advance(400 * DAY);
    await h.dlq.cleanup();
    await h.dlq.purgeArchived();
    await h.dlq.purgeArchived({ olderThanDays: 0 });
    expect((await h.dlq.get(noTtl.id!))?.status).toBe('pending');
    // Expired entries are kept for the retention period before they are archived, and archived
    // ones for another before they are purged.
    expect((await h.dlq.facets()).byStatus).toEqual({ pending: 1, expired: 3 });
    h.clock.advance(31 * DAY);
    await h.dlq.cleanup();
    await h.dlq.purgeArchived();
    expect((await h.dlq.facets()).byStatus).toEqual({ pending: 1, archived: 3 });
    h.clock.advance(31 * DAY);
    expect(await h.dlq.purgeArchived()).toBe(3);
    expect((await h.dlq.facets()).byStatus).toEqual({ pending: 1 });
    expect(ids).toHaveLength(3);
  });

  it('releases abandoned replays after stuckReplayMs', async () => {
    const [id] = await storeMany(1, 's');
    await h.store.acquireDeadLetterForReplay({ id: id!, now: h.clock.now() });
    h.clock.advance(14 * 60_000);
    expect(await h.dlq.releaseStuckReplays()).toBe(0);
    h.clock.advance(2 * 60_000);
    expect(await h.dlq.releaseStuckReplays()).toBe(1);
    expect(await h.dlq.mustGet(id!)).toMatchObject({ status: 'pending', replayCount: 1 });
    expect(h.dlq.metrics().released).toBe(1);
  });

  it('validates day counts', async () => {
    await expect(h.dlq.archiveOlderThan(-1)).rejects.toBeInstanceOf(ValidationError);
    await expect(h.dlq.countArchivedOlderThan(Number.NaN)).rejects.toMatchObject({ field: 'olderThanDays' });
    await expect(h.dlq.purgeArchived({ olderThanDays: -2 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('retention sweeps share the event loop', () => {
  it('lets a pending callback run between batches instead of draining a backlog in one go', async () => {
    await storeMany(20, 'x');
    h.clock.advance(4 * DAY);
    const order: string[] = [];
    h.dlq.on('dead_letter.expired', (payload) => order.push(`expired:${payload.ids.length}`));
    // Queued before the sweep starts: with batches of 7 it must run before the 20 are done.
    setImmediate(() => order.push('other work'));
    const sweep = h.dlq.expire();
    expect(await sweep).toBe(20);
    expect(order).toEqual(['other work', 'expired:20']);
  });
});
