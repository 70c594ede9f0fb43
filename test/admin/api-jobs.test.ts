/**
 * The admin API through fastify.inject: listing, showing, retrying and removing jobs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { type AdminHarness, createAdminHarness } from './helpers.js';
import { runJobs } from './run-jobs.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

describe('jobs', () => {
  it('lists jobs in keyset pages, filtered by queue and state', async () => {
    await runJobs(h, 'emails', 3, 2);
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
    const { ids } = await runJobs(h, 'emails', 0, 1);
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
    const { ids } = await runJobs(h, 'emails', 1, 1);
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
