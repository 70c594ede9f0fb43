/**
 * The admin API through fastify.inject: dead-letter actions (replay, force-replay, resolve, batch
 * preview, resolve and replay, purge), the audit log, generation conflicts, concurrent retries,
 * bad bodies and cross-origin requests.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminHarness, createAdminHarness } from './helpers.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

describe('dead letters: actions', () => {
  async function generationOf(id: string): Promise<number> {
    return (await h.call('viewer', 'GET', `/api/dead-letters/${id}`)).json<{ generation: number }>()
      .generation;
  }

  it('replay needs operator and the current generation', async () => {
    const id = await h.deadLetter();
    const gen = await generationOf(id);
    expect(
      (await h.call('viewer', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen })).statusCode,
    ).toBe(403);

    const stale = await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen + 5 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      error: { code: 'STATE_CONFLICT', details: { reason: 'stale_generation' } },
    });

    const ok = await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ success: true, status: 'resolved', handler: 'domain:payment' });

    const again = await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen });
    expect(again.statusCode).toBe(409);
    expect(
      (await h.call('operator', 'POST', '/api/dead-letters/dl_nope/replay', { generation: 1 })).statusCode,
    ).toBe(404);
  });

  it('answers the old names of replay and force-replay (retry, redrive), deprecated', async () => {
    const id = await h.deadLetter({ maxReplays: 1 });
    const gen = await generationOf(id);
    expect(
      (await h.call('viewer', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen })).statusCode,
    ).toBe(403);
    const old = await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen });
    expect(old.json()).toMatchObject({ success: true, status: 'resolved' });
    const review = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    await h.call('operator', 'POST', `/api/dead-letters/${review}/replay`, {
      generation: await generationOf(review),
    });
    const forced = await h.call('admin', 'POST', `/api/dead-letters/${review}/redrive`, {
      generation: await generationOf(review),
      reason: 'the old name',
    });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ handler: expect.any(String) });
  });

  it('a failing replay answers 200 with success false and the new status', async () => {
    const id = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    const r = await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, {
      generation: await generationOf(id),
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      success: false,
      status: 'requires_review',
      error: expect.stringContaining('still broken'),
    });
  });

  it('of two concurrent retries of one entry, exactly one gets 409', async () => {
    const id = await h.deadLetter({ domain: 'slow' });
    const gen = await generationOf(id);
    const results = await Promise.all([
      h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen }),
      h.call('admin', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.statusCode === 200)!.json()).toMatchObject({ success: true });
  });

  it('bad bodies: malformed JSON, wrong types, missing and unknown fields, wrong media type, oversized', async () => {
    const id = await h.deadLetter();
    const url = `/api/dead-letters/${id}/replay`;
    const malformed = await h.call('operator', 'POST', url, '{"generation": 1', {
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'INVALID_JSON' } });

    const wrongType = await h.call('operator', 'POST', url, { generation: '1' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'generation: expected number, received string',
        details: { field: 'generation' },
      },
    });
    const missing = await h.call('operator', 'POST', url, {});
    expect(missing.json()).toMatchObject({ error: { message: 'generation: is required' } });
    const unknown = await h.call('operator', 'POST', url, { generation: 1, force: true });
    expect(unknown.json()).toMatchObject({ error: { details: { field: 'force' } } });
    const array = await h.call('operator', 'POST', url, [1, 2]);
    expect(array.statusCode).toBe(400);
    const text = await h.call('operator', 'POST', url, 'generation=1', {
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });

    const big = await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
      ids: Array.from({ length: 200_000 }, (_, i) => `dl_${i}`),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    // Auth comes before the body: an anonymous caller never gets the body parsed.
    expect(
      (await h.call(null, 'POST', url, '{', { headers: { 'content-type': 'application/json' } })).statusCode,
    ).toBe(401);
  });

  it('force-replay needs admin and a reason; it takes entries that need review', async () => {
    const id = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, {
      generation: await generationOf(id),
    });
    const gen = await generationOf(id);
    expect(
      (await h.call('operator', 'POST', `/api/dead-letters/${id}/replay`, { generation: gen })).statusCode,
    ).toBe(409);

    const denied = await h.call('operator', 'POST', `/api/dead-letters/${id}/force-replay`, {
      generation: gen,
      reason: 'fixed',
    });
    expect(denied.statusCode).toBe(403);
    const noReason = await h.call('admin', 'POST', `/api/dead-letters/${id}/force-replay`, {
      generation: gen,
      reason: '  ',
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ error: { details: { field: 'reason' } } });

    h.registry.forDomain('broken', async () => ({}));
    const ok = await h.call('admin', 'POST', `/api/dead-letters/${id}/force-replay`, {
      generation: gen,
      reason: 'deployed the fix',
      ticket: 'OPS-12',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ success: true, status: 'resolved' });

    const audit = (await h.call('viewer', 'GET', `/api/audit?deadLetterId=${id}`)).json<{
      items: { action: string; actor: string; reason: string | null; ticket: string | null }[];
    }>();
    expect(audit.items.find((e) => e.action === 'force_redrive')).toMatchObject({
      actor: 'ada',
      reason: 'deployed the fix',
      ticket: 'OPS-12',
    });
    expect(audit.items.some((e) => e.actor === 'otto')).toBe(true);
  });

  it('resolve needs operator and the current generation; a resolved entry is 409', async () => {
    const id = await h.deadLetter();
    const gen = await generationOf(id);
    expect(
      (await h.call('viewer', 'POST', `/api/dead-letters/${id}/resolve`, { generation: gen })).statusCode,
    ).toBe(403);
    const ok = await h.call('operator', 'POST', `/api/dead-letters/${id}/resolve`, {
      generation: gen,
      note: 'refunded by hand',
    });
    expect(ok.json()).toMatchObject({
      success: true,
      status: 'resolved',
      previousStatus: 'pending',
      note: 'refunded by hand',
    });
    const again = await h.call('operator', 'POST', `/api/dead-letters/${id}/resolve`, { generation: gen });
    expect(again.statusCode).toBe(409);
    const entry = (await h.call('viewer', 'GET', `/api/dead-letters/${id}`)).json();
    expect(entry).toMatchObject({
      status: 'resolved',
      resolvedBy: 'otto',
      resolutionNote: 'refunded by hand',
    });
  });

  it('batch preview by filter or ids', async () => {
    const a = await h.deadLetter();
    await h.deadLetter();
    await h.deadLetter({ domain: 'webhook', failureType: 'HTTP_500', error: new Error('boom') });
    const byFilter = (
      await h.call('viewer', 'POST', '/api/dead-letters/batch/preview', { filter: { domain: 'payment' } })
    ).json<{
      count: number;
      sample: { domain: string }[];
    }>();
    expect(byFilter.count).toBe(2);
    expect(byFilter.sample.map((s) => s.domain)).toEqual(['payment', 'payment']);
    const byIds = (
      await h.call('viewer', 'POST', '/api/dead-letters/batch/preview', { ids: [a, 'dl_missing'] })
    ).json();
    expect(byIds).toMatchObject({ count: 1, byStatus: { pending: 1 }, notFound: ['dl_missing'] });

    for (const body of [{}, { ids: [a], filter: {} }]) {
      const r = await h.call('viewer', 'POST', '/api/dead-letters/batch/preview', body);
      expect(r.statusCode).toBe(400);
    }
    const badFilter = await h.call('viewer', 'POST', '/api/dead-letters/batch/preview', {
      filter: { status: 'lost' },
    });
    expect(badFilter.json()).toMatchObject({ error: { details: { field: 'filter.status' } } });
    const tooMany = await h.call('viewer', 'POST', '/api/dead-letters/batch/preview', {
      ids: Array.from({ length: 10_001 }, (_, i) => `d${i}`),
    });
    expect(tooMany.json()).toMatchObject({ error: { details: { field: 'ids' } } });
  });

  it('batch resolve by ids (with dry run) and by filter', async () => {
    const a = await h.deadLetter();
    const b = await h.deadLetter();
    const c = await h.deadLetter({ domain: 'webhook', failureType: 'HTTP_500', error: new Error('boom') });
    expect((await h.call('viewer', 'POST', '/api/dead-letters/batch/resolve', { ids: [a] })).statusCode).toBe(
      403,
    );

    const dry = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
        ids: [a, b, 'dl_x'],
        dryRun: true,
      })
    ).json();
    expect(dry).toMatchObject({ resolved: 2, skipped: 0, notFound: 1, dryRun: true, ids: [a, b] });
    expect((await h.dlq.get(a))!.status).toBe('pending');

    const real = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
        ids: [a, 'dl_x'],
        note: 'handled',
      })
    ).json();
    expect(real).toMatchObject({ resolved: 1, skipped: 0, notFound: 1, ids: [a], notFoundIds: ['dl_x'] });

    const stale = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
        ids: [b],
        generations: { [b]: 99 },
      })
    ).json();
    expect(stale).toMatchObject({
      resolved: 0,
      skipped: 1,
      skippedItems: [{ id: b, reason: 'stale_generation' }],
    });

    const byFilter = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', { filter: { domain: 'webhook' } })
    ).json();
    expect(byFilter).toMatchObject({ resolved: 1, ids: [c], truncated: false });
    expect((await h.dlq.get(c))!.status).toBe('resolved');
  });

  it('batch replay (dry run, then real) needs operator', async () => {
    await h.deadLetter();
    await h.deadLetter();
    await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    expect((await h.call('viewer', 'POST', '/api/dead-letters/batch/replay', {})).statusCode).toBe(403);
    const dry = (await h.call('operator', 'POST', '/api/dead-letters/batch/replay', { dryRun: true })).json();
    expect(dry).toMatchObject({ total: 3, succeeded: 3, failed: 0, dryRun: true });
    // The dry run's sample is what the run takes, in its order: oldest first, as many as asked.
    const oldestFirst = (await h.dlq.list({}, { order: 'oldest', pageSize: 10 })).results.map((d) => d.id);
    expect(dry.sample.map((d: { id: string }) => d.id)).toEqual(oldestFirst);
    const two = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/replay', { dryRun: true, batchSize: 2 })
    ).json();
    expect(two).toMatchObject({ total: 2, succeeded: 2 });
    expect(two.sample.map((d: { id: string }) => d.id)).toEqual(oldestFirst.slice(0, 2));
    const scoped = (
      await h.call('operator', 'POST', '/api/dead-letters/batch/replay', {
        filter: { domain: 'payment' },
        batchSize: 1,
      })
    ).json();
    expect(scoped).toMatchObject({ total: 1, succeeded: 1, earlyStopReason: null });
    const rest = (await h.call('operator', 'POST', '/api/dead-letters/batch/replay', {})).json();
    expect(rest).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    const bad = await h.call('operator', 'POST', '/api/dead-letters/batch/replay', { batchSize: 0 });
    expect(bad.json()).toMatchObject({ error: { details: { field: 'batchSize' } } });
  });

  it('purge needs admin and removes archived entries only', async () => {
    const a = await h.deadLetter();
    await h.deadLetter();
    await h.dlq.resolve(a, { actor: 'test' });
    await new Promise((r) => setTimeout(r, 5));
    await h.dlq.archiveOlderThan(0.000_000_01);
    expect((await h.dlq.get(a))!.status).toBe('archived');

    expect(
      (await h.call('operator', 'POST', '/api/dead-letters/purge', { olderThanDays: 0 })).statusCode,
    ).toBe(403);
    const dry = (
      await h.call('admin', 'POST', '/api/dead-letters/purge', { olderThanDays: 0, dryRun: true })
    ).json();
    expect(dry).toEqual({ purged: 1, dryRun: true });
    const real = (await h.call('admin', 'POST', '/api/dead-letters/purge', { olderThanDays: 0 })).json();
    expect(real).toEqual({ purged: 1, dryRun: false });
    expect(await h.dlq.get(a)).toBeNull();
    expect((await h.call('viewer', 'GET', '/api/dead-letters')).json()).toMatchObject({ total: 1 });
    const bad = await h.call('admin', 'POST', '/api/dead-letters/purge', { olderThanDays: -1 });
    expect(bad.json()).toMatchObject({ error: { details: { field: 'olderThanDays' } } });
  });

  it('audit lists actions newest first, in pages', async () => {
    const ids = [await h.deadLetter(), await h.deadLetter(), await h.deadLetter()];
    for (const id of ids)
      await h.call('operator', 'POST', `/api/dead-letters/${id}/resolve`, {
        generation: await generationOf(id),
      });
    const first = (await h.call('viewer', 'GET', '/api/audit?limit=2')).json<{
      items: { seq: number; action: string; actor: string }[];
      nextBefore: number;
    }>();
    expect(first.items).toHaveLength(2);
    expect(first.items[0]).toMatchObject({ action: 'resolve', actor: 'otto' });
    expect(first.items[0]!.seq).toBeGreaterThan(first.items[1]!.seq);
    const second = (await h.call('viewer', 'GET', `/api/audit?limit=2&before=${first.nextBefore}`)).json<{
      items: unknown[];
    }>();
    expect(second.items).toHaveLength(1);
  });

  it('refuses state-changing requests from another origin', async () => {
    const id = await h.deadLetter();
    const gen = await generationOf(id);
    const cross = await h.call(
      'operator',
      'POST',
      `/api/dead-letters/${id}/resolve`,
      { generation: gen },
      {
        headers: { origin: 'https://evil.example', host: 'localhost:7878' },
      },
    );
    expect(cross.statusCode).toBe(403);
    const same = await h.call(
      'operator',
      'POST',
      `/api/dead-letters/${id}/resolve`,
      { generation: gen },
      {
        headers: { origin: 'http://localhost:7878', host: 'localhost:7878' },
      },
    );
    expect(same.statusCode).toBe(200);
  });
});
