/**
 * The admin API through fastify.inject: reading dead letters (filters, search, facets, top
 * failures, stats, the full record and whether it can be replayed). The top-failures case expects
 * its error frame in this file, test/admin/api.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminHarness, createAdminHarness } from './helpers.js';
import { runJobs } from './run-jobs.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

describe('dead letters: reading', () => {
  it('lists with filters, full-text search, JSON-field filters, time range and pages', async () => {
    const a = await h.deadLetter({ entityId: 'o-1', payload: { customer: { id: 42 } } });
    await h.deadLetter({
      domain: 'webhook',
      failureType: 'HTTP_500',
      error: new Error('upstream exploded'),
      entityId: 'o-2',
      payload: { customer: { id: 43 } },
    });
    await h.deadLetter({
      domain: 'webhook',
      failureType: 'HTTP_500',
      error: new Error('upstream exploded again'),
      entityId: 'o-3',
      payload: { customer: { id: '42' } },
    });

    const all = (await h.call('viewer', 'GET', '/api/dead-letters')).json<{
      items: { id: string; errorMessage: string; attemptCount: number }[];
      total: number;
      page: number;
      pageSize: number;
    }>();
    expect(all).toMatchObject({ total: 3, page: 1, pageSize: 25 });
    expect(all.items[0]).not.toHaveProperty('payload');

    const byDomain = (await h.call('viewer', 'GET', '/api/dead-letters?domain=webhook')).json<{
      total: number;
    }>();
    expect(byDomain.total).toBe(2);
    const search = (await h.call('viewer', 'GET', '/api/dead-letters?q=EXPLODED%20again')).json<{
      total: number;
    }>();
    expect(search.total).toBe(1);
    const entity = (await h.call('viewer', 'GET', '/api/dead-letters?entityId=o-1')).json<{
      items: { id: string }[];
    }>();
    expect(entity.items.map((i) => i.id)).toEqual([a]);
    const payload = (await h.call('viewer', 'GET', '/api/dead-letters?payload.customer.id=42')).json<{
      items: { id: string }[];
    }>();
    expect(payload.items.map((i) => i.id)).toEqual([a]);
    // A quoted value is text: it matches the string "42", not the number.
    const text = (await h.call('viewer', 'GET', '/api/dead-letters?payload.customer.id=%2242%22')).json<{
      items: { entityId: string }[];
    }>();
    expect(text.items.map((i) => i.entityId)).toEqual(['o-3']);
    const statuses = (
      await h.call('viewer', 'GET', '/api/dead-letters?status=resolved,requires_review')
    ).json<{
      total: number;
    }>();
    expect(statuses.total).toBe(0);
    const future = (await h.call('viewer', 'GET', `/api/dead-letters?from=${Date.now() + 60_000}`)).json<{
      total: number;
    }>();
    expect(future.total).toBe(0);
    const iso = (await h.call('viewer', 'GET', '/api/dead-letters?to=2000-01-01T00:00:00Z')).json<{
      total: number;
    }>();
    expect(iso.total).toBe(0);

    const page2 = (await h.call('viewer', 'GET', '/api/dead-letters?pageSize=2&page=2')).json<{
      items: unknown[];
      totalPages: number;
    }>();
    expect(page2.items).toHaveLength(1);
    expect(page2.totalPages).toBe(2);
  });

  it('refuses bad filters naming the field', async () => {
    const cases: [string, string][] = [
      ['/api/dead-letters?pageSize=101', 'pageSize'],
      ['/api/dead-letters?pageSize=ten', 'pageSize'],
      ['/api/dead-letters?page=0', 'page'],
      ['/api/dead-letters?status=lost', 'status.0'],
      ['/api/dead-letters?from=yesterday', 'from'],
      ['/api/dead-letters?order=random', 'order'],
      [`/api/dead-letters?q=${'x'.repeat(501)}`, 'q'],
      ['/api/dead-letters/top-failures?limit=1000', 'limit'],
      ['/api/dead-letters/facets?status=lost', 'status.0'],
      ['/api/audit?limit=-1', 'limit'],
    ];
    for (const [url, field] of cases) {
      const r = await h.call('viewer', 'GET', url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json(), url).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field } } });
      expect(r.json<{ error: { message: string } }>().error.message.startsWith(`${field}:`), url).toBe(true);
    }
  });

  it('facets, top failures and stats', async () => {
    const same = new Error('amount 10.00 does not match 12.00');
    await h.deadLetter({ error: same });
    await h.deadLetter({ error: same });
    await h.deadLetter({ domain: 'webhook', failureType: 'HTTP_500', error: new Error('boom') });
    const facets = (await h.call('viewer', 'GET', '/api/dead-letters/facets')).json();
    expect(facets).toMatchObject({
      byStatus: { pending: 3 },
      byDomain: { payment: 2, webhook: 1 },
      cells: expect.arrayContaining([{ status: 'pending', domain: 'payment', count: 2 }]),
    });
    const scoped = (await h.call('viewer', 'GET', '/api/dead-letters/facets?domain=webhook')).json();
    expect(scoped).toMatchObject({ byStatus: { pending: 1 } });

    const top = (await h.call('viewer', 'GET', '/api/dead-letters/top-failures?limit=1')).json<{
      items: object[];
      scan: unknown;
    }>();
    expect(top.scan).toBeNull();
    expect(top.items).toEqual([
      {
        fingerprint: expect.any(String),
        count: 2,
        firstSeen: expect.any(Number),
        lastSeen: expect.any(Number),
        sampleId: expect.any(String),
        errorClass: 'Error',
        message: expect.stringContaining('amount'),
        frame: expect.stringContaining('api.test.ts'),
        domain: 'payment',
        signature: {
          errorClass: 'Error',
          message: 'amount <n> does not match <n>',
          frame: expect.stringContaining('(test/admin/api.test.ts)'),
        },
        fingerprintVersion: 2,
        domains: [{ domain: 'payment', count: 2 }],
      },
    ]);
    const stats = (await h.call('viewer', 'GET', '/api/dead-letters/stats')).json();
    expect(stats).toMatchObject({
      total: 3,
      open: 3,
      byStatus: { pending: 3 },
      oldestPendingAgeMs: expect.any(Number),
    });
  });

  it('facets follow the whole filter: search, queue, fingerprint; each dimension ignores its own', async () => {
    const same = new Error('amount 10.00 does not match 12.00');
    await h.deadLetter({ error: same });
    const resolved = await h.deadLetter({ error: same });
    await h.dlq.resolve(resolved, { actor: 'test' });
    await h.deadLetter({ domain: 'webhook', failureType: 'HTTP_500', error: new Error('upstream boom') });
    await h.deadLetter({ domain: 'email', error: new Error('upstream boom') });
    const facets = async (query: string) =>
      (await h.call('viewer', 'GET', `/api/dead-letters/facets?${query}`)).json<{
        byStatus: Record<string, number>;
        byDomain: Record<string, number>;
        cells: unknown[];
        scan: unknown;
      }>();

    const searched = await facets('q=boom');
    expect(searched.byStatus).toEqual({ pending: 2 });
    expect(searched.byDomain).toEqual({ webhook: 1, email: 1 });
    expect(searched.cells).toHaveLength(2);
    // The domain chips of a search within one domain still offer the other domains.
    expect((await facets('q=boom&domain=email')).byDomain).toEqual({ webhook: 1, email: 1 });
    expect((await facets('q=boom&domain=email')).byStatus).toEqual({ pending: 1 });
    // Status chips ignore the status filter; domain chips honour it.
    const amount = await facets('q=amount&status=resolved');
    expect(amount.byStatus).toEqual({ pending: 1, resolved: 1 });
    expect(amount.byDomain).toEqual({ payment: 1 });
    // Counter-answered filters (queue, failure type, fingerprint) are exact, without a scan.
    const byType = await facets('failureType=HTTP_500');
    expect(byType).toMatchObject({ byStatus: { pending: 1 }, byDomain: { webhook: 1 }, scan: null });
    expect((await facets('queue=nowhere')).byStatus).toEqual({});
    // No filter: every entry.
    expect((await facets('')).byStatus).toEqual({ pending: 3, resolved: 1 });
  });

  it('says whether Retry can replay an entry, and why not', async () => {
    const ok = await h.deadLetter();
    const entry = (await h.call('viewer', 'GET', `/api/dead-letters/${ok}`)).json();
    expect(entry.replay).toEqual({ possible: true, handler: 'domain:payment', reason: null });

    const orphan = await h.deadLetter({ domain: 'nobody-handles-this' });
    const none = (await h.call('viewer', 'GET', `/api/dead-letters/${orphan}`)).json();
    expect(none.replay).toMatchObject({ possible: false, handler: null });
    expect(none.replay.reason).toMatch(/no replay handler .* nobody-handles-this/);

    const spent = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    await h.dlq.retry(spent, { actor: 'test' });
    const review = (await h.call('viewer', 'GET', `/api/dead-letters/${spent}`)).json();
    expect(review.status).toBe('requires_review');
    expect(review.replay).toMatchObject({ possible: false, handler: 'domain:broken' });

    const done = await h.deadLetter();
    await h.dlq.resolve(done, { actor: 'test' });
    expect((await h.call('viewer', 'GET', `/api/dead-letters/${done}`)).json().replay.possible).toBe(false);
  });

  it('shows the full record with attempts and snapshots; unknown id is 404', async () => {
    const { ids } = await runJobs(h, 'emails', 0, 1);
    const job = await h.store.getJob({ id: ids[0]! });
    const entry = (await h.call('viewer', 'GET', `/api/dead-letters/${job!.deadLetterId}`)).json();
    expect(entry).toMatchObject({
      id: job!.deadLetterId,
      generation: expect.any(Number),
      payload: { i: 0, customer: { id: 7 } },
      attempts: [expect.objectContaining({ outcome: 'failed', message: 'order 0 is invalid' })],
      attemptCount: 1,
      snapshot: null,
      requestData: null,
      responseData: null,
    });
    const custom = await h.deadLetter({
      snapshot: { balance: 3 },
      requestData: { url: '/charge' },
      responseData: { status: 500 },
    });
    expect((await h.call('viewer', 'GET', `/api/dead-letters/${custom}`)).json()).toMatchObject({
      snapshot: { balance: 3 },
      requestData: { url: '/charge' },
      responseData: { status: 500 },
    });
    const missing = await h.call('viewer', 'GET', '/api/dead-letters/dl_nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
