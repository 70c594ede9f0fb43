/**
 * The admin API through fastify.inject: every route, role denials, bad input, unknown ids,
 * generation conflicts and concurrent retries.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, Queue, Worker } from '../../src/index.js';
import { type AdminHarness, createAdminHarness } from './helpers.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Adds `ok` jobs that succeed and `bad` jobs that fail permanently, runs them, returns the ids. */
async function runJobs(queue: string, ok: number, bad: number): Promise<{ ids: string[] }> {
  const q = new Queue(queue, { store: h.store });
  const before = await h.store.countJobs({ queue });
  const ids: string[] = [];
  for (let i = 0; i < ok; i++) ids.push((await q.add('fine', { i })).id);
  for (let i = 0; i < bad; i++) ids.push((await q.add('broken', { i, customer: { id: 7 } })).id);
  const worker = new Worker(
    queue,
    async (job) => {
      if (job.name === 'broken')
        throw new PermanentError(`order ${String((job.payload as { i: number }).i)} is invalid`);
      return { ok: true };
    },
    { store: h.store, pollIntervalMs: 5 },
  );
  await until(async () => {
    const c = await h.store.countJobs({ queue });
    return c.completed === before.completed + ok && c.dead_lettered === before.dead_lettered + bad;
  });
  await worker.close();
  await q.close();
  return { ids };
}

describe('probes and identity', () => {
  it('healthz and readyz answer without auth; readyz is 503 when the store is down', async () => {
    expect((await h.call(null, 'GET', '/healthz')).json()).toEqual({ ok: true });
    expect((await h.call(null, 'GET', '/readyz')).statusCode).toBe(200);
    await h.store.close();
    const down = await h.call(null, 'GET', '/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('whoami names the actor and role of each token; no or a bad token is 401', async () => {
    expect((await h.call('viewer', 'GET', '/api/whoami')).json()).toEqual({ actor: 'vera', role: 'viewer' });
    expect((await h.call('operator', 'GET', '/api/whoami')).json()).toEqual({
      actor: 'otto',
      role: 'operator',
    });
    expect((await h.call('admin', 'GET', '/api/whoami')).json()).toEqual({ actor: 'ada', role: 'admin' });

    const none = await h.call(null, 'GET', '/api/whoami');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = await h.call(null, 'GET', '/api/whoami', undefined, {
      headers: { authorization: 'Bearer not-a-token-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'unknown token' } });
    const basic = await h.call(null, 'GET', '/api/whoami', undefined, {
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('unknown routes are a JSON 404', async () => {
    const r = await h.call('viewer', 'GET', '/api/nothing-here');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('queues', () => {
  it('overview counts each queue and reports dead letters, breakers and the replay queue', async () => {
    await runJobs('emails', 3, 2);
    await new Queue('reports', { store: h.store }).add('build', {});
    await h.deadLetter();
    const r = await h.call('viewer', 'GET', '/api/overview');
    expect(r.statusCode).toBe(200);
    const body = r.json<{
      queues: { name: string; counts: Record<string, number>; throughput: object; paused: boolean }[];
      deadLetters: { byStatus: Record<string, number>; oldestPendingAgeMs: number };
      breakers: unknown[];
      replayQueue: unknown;
    }>();
    expect(body.queues).toEqual([
      {
        name: 'emails',
        paused: false,
        counts: { scheduled: 0, waiting: 0, active: 0, completed: 3, dead_lettered: 2 },
        deadLetters: 2,
        throughput: { completedPerSec: 0, failedPerSec: 0 },
      },
      expect.objectContaining({ name: 'reports', counts: expect.objectContaining({ waiting: 1 }) }),
    ]);
    expect(body.deadLetters.byStatus.pending).toBe(3);
    expect(body.deadLetters.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(body.breakers).toEqual([]);
    expect(body.replayQueue).toBeNull();
    expect((await h.call('viewer', 'GET', '/api/queues')).json()).toMatchObject({
      items: [{ name: 'emails' }, { name: 'reports' }],
    });
  });

  it('throughput returns the sampled deltas; window is validated; unknown queue is 404', async () => {
    await runJobs('emails', 1, 0);
    await h.server.throughput.sample();
    await runJobs('emails', 2, 1);
    await h.server.throughput.sample();
    const r = await h.call('viewer', 'GET', '/api/queues/emails/throughput?window=60');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ queue: 'emails', window: 60, intervalMs: 2000 });
    expect(r.json<{ points: object[] }>().points).toEqual([
      { t: expect.any(Number), completed: 2, failed: 1 },
    ]);

    const bad = await h.call('viewer', 'GET', '/api/queues/emails/throughput?window=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'window' } } });
    expect((await h.call('viewer', 'GET', '/api/queues/emails/throughput?window=5')).statusCode).toBe(400);
    expect((await h.call('viewer', 'GET', '/api/queues/nope/throughput')).statusCode).toBe(404);
  });

  it('pause and resume need operator; unknown queue is 404', async () => {
    await new Queue('emails', { store: h.store }).add('x', {});
    const denied = await h.call('viewer', 'POST', '/api/queues/emails/pause');
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({
      error: { code: 'FORBIDDEN', details: { required: 'operator', role: 'viewer' } },
    });
    expect(await h.store.isQueuePaused({ queue: 'emails' })).toBe(false);

    const paused = await h.call('operator', 'POST', '/api/queues/emails/pause');
    expect(paused.json()).toEqual({ name: 'emails', paused: true });
    expect(await h.store.isQueuePaused({ queue: 'emails' })).toBe(true);
    const resumed = await h.call('operator', 'POST', '/api/queues/emails/resume', {});
    expect(resumed.json()).toEqual({ name: 'emails', paused: false });
    expect(await h.store.isQueuePaused({ queue: 'emails' })).toBe(false);

    expect((await h.call('operator', 'POST', '/api/queues/nope/pause')).statusCode).toBe(404);
  });
});

describe('jobs', () => {
  it('lists jobs in keyset pages, filtered by queue and state', async () => {
    await runJobs('emails', 3, 2);
    const first = await h.call('viewer', 'GET', '/api/jobs?queue=emails&limit=2');
    const page1 = first.json<{ items: { id: string }[]; nextAfterId: string }>();
    expect(page1.items).toHaveLength(2);
    expect(page1.nextAfterId).toBe(page1.items[1]!.id);
    const page2 = (
      await h.call('viewer', 'GET', `/api/jobs?queue=emails&limit=2&afterId=${page1.nextAfterId}`)
    ).json<{
      items: { id: string }[];
    }>();
    expect(page2.items).toHaveLength(2);
    expect(Number(page2.items[0]!.id)).toBeGreaterThan(Number(page1.nextAfterId));

    const dead = (await h.call('viewer', 'GET', '/api/jobs?state=dead_lettered')).json<{
      items: { state: string }[];
      nextAfterId: null;
    }>();
    expect(dead.items.map((j) => j.state)).toEqual(['dead_lettered', 'dead_lettered']);
    expect(dead.nextAfterId).toBeNull();

    const badState = await h.call('viewer', 'GET', '/api/jobs?state=exploded');
    expect(badState.statusCode).toBe(400);
    expect(badState.json()).toMatchObject({ error: { details: { field: 'state.0' } } });
    expect((await h.call('viewer', 'GET', '/api/jobs?limit=0')).statusCode).toBe(400);
    expect((await h.call('viewer', 'GET', '/api/jobs?limit=10&limit=20')).statusCode).toBe(400);
  });

  it('shows a job with its dead letter; unknown id is 404', async () => {
    const { ids } = await runJobs('emails', 0, 1);
    const r = await h.call('viewer', 'GET', `/api/jobs/${ids[0]}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      id: ids[0],
      state: 'dead_lettered',
      attempts: [expect.objectContaining({ outcome: 'failed' })],
      deadLetter: { status: 'pending', queue: 'emails', failureType: 'permanent' },
    });
    expect((await h.call('viewer', 'GET', '/api/jobs/999999')).statusCode).toBe(404);
  });

  it('retries a dead-lettered job by replaying its dead letter; other states are 409', async () => {
    const { ids } = await runJobs('emails', 1, 1);
    const [okId, deadId] = ids;
    expect((await h.call('viewer', 'POST', `/api/jobs/${deadId}/retry`)).statusCode).toBe(403);
    const r = await h.call('operator', 'POST', `/api/jobs/${deadId}/retry`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ success: true, status: 'resolved', handler: 'default:queue' });
    const replayed = await h.store.getJob({ id: r.json<{ jobId: string }>().jobId });
    expect(replayed).toMatchObject({ state: 'waiting', queue: 'emails' });

    const done = await h.call('operator', 'POST', `/api/jobs/${okId}/retry`);
    expect(done.statusCode).toBe(409);
    expect(done.json()).toMatchObject({ error: { code: 'STATE_CONFLICT' } });
    expect((await h.call('operator', 'POST', '/api/jobs/424242/retry')).statusCode).toBe(404);
  });

  it('removes a job that is not active; active jobs are 409; viewers are refused', async () => {
    const q = new Queue('emails', { store: h.store });
    const waiting = await q.add('a', {});
    const active = await q.add('b', {});
    await h.store.claimJobs({
      queue: 'emails',
      workerId: 'w',
      limit: 1,
      leaseMs: 60_000,
      now: Date.now(),
      claimId: 'c1',
    });
    const claimed = (await h.store.getJob({ id: waiting.id }))!.state === 'active' ? waiting : active;
    const idle = claimed === waiting ? active : waiting;

    expect((await h.call('viewer', 'DELETE', `/api/jobs/${idle.id}`)).statusCode).toBe(403);
    const removed = await h.call('operator', 'DELETE', `/api/jobs/${idle.id}`);
    expect(removed.json()).toEqual({ removed: true, id: idle.id });
    expect(await h.store.getJob({ id: idle.id })).toBeNull();
    expect((await h.call('operator', 'DELETE', `/api/jobs/${idle.id}`)).statusCode).toBe(404);

    const busy = await h.call('operator', 'DELETE', `/api/jobs/${claimed.id}`);
    expect(busy.statusCode).toBe(409);
    expect(await h.store.getJob({ id: claimed.id })).not.toBeNull();
    await q.close();
  });
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
    const { ids } = await runJobs('emails', 0, 1);
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

describe('dead letters: actions', () => {
  async function generationOf(id: string): Promise<number> {
    return (await h.call('viewer', 'GET', `/api/dead-letters/${id}`)).json<{ generation: number }>()
      .generation;
  }

  it('retry needs operator and the current generation', async () => {
    const id = await h.deadLetter();
    const gen = await generationOf(id);
    expect(
      (await h.call('viewer', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen })).statusCode,
    ).toBe(403);

    const stale = await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen + 5 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      error: { code: 'STATE_CONFLICT', details: { reason: 'stale_generation' } },
    });

    const ok = await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ success: true, status: 'resolved', handler: 'domain:payment' });

    const again = await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen });
    expect(again.statusCode).toBe(409);
    expect(
      (await h.call('operator', 'POST', '/api/dead-letters/dl_nope/retry', { generation: 1 })).statusCode,
    ).toBe(404);
  });

  it('a failing replay answers 200 with success false and the new status', async () => {
    const id = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    const r = await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, {
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
      h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen }),
      h.call('admin', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.statusCode === 200)!.json()).toMatchObject({ success: true });
  });

  it('bad bodies: malformed JSON, wrong types, missing and unknown fields, wrong media type, oversized', async () => {
    const id = await h.deadLetter();
    const url = `/api/dead-letters/${id}/retry`;
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

  it('force-redrive needs admin and a reason; it takes entries that need review', async () => {
    const id = await h.deadLetter({ domain: 'broken', maxReplays: 1 });
    await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: await generationOf(id) });
    const gen = await generationOf(id);
    expect(
      (await h.call('operator', 'POST', `/api/dead-letters/${id}/retry`, { generation: gen })).statusCode,
    ).toBe(409);

    const denied = await h.call('operator', 'POST', `/api/dead-letters/${id}/redrive`, {
      generation: gen,
      reason: 'fixed',
    });
    expect(denied.statusCode).toBe(403);
    const noReason = await h.call('admin', 'POST', `/api/dead-letters/${id}/redrive`, {
      generation: gen,
      reason: '  ',
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ error: { details: { field: 'reason' } } });

    h.registry.forDomain('broken', async () => ({}));
    const ok = await h.call('admin', 'POST', `/api/dead-letters/${id}/redrive`, {
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

describe('dashboard files', () => {
  it('serves index.html and assets without auth, with a strict CSP; nothing outside the web root', async () => {
    const index = await h.call(null, 'GET', '/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.body).toContain('assets/app.js');
    const js = await h.call(null, 'GET', '/assets/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await h.call(null, 'GET', '/assets/app.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const url of [
      '/assets/notes.txt',
      '/assets/../admin.db',
      '/assets/%2e%2e/admin.db',
      '/assets/.hidden.js',
      '/assets/nope.js',
    ]) {
      expect((await h.call(null, 'GET', url)).statusCode, url).toBe(404);
    }
  });
});
