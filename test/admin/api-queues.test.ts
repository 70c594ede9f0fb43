/**
 * The admin API through fastify.inject: the overview, queue throughput, and pausing and resuming
 * queues.
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

describe('queues', () => {
  it('overview counts each queue and reports dead letters, breakers and the replay queue', async () => {
    await runJobs(h, 'emails', 3, 2);
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
    await runJobs(h, 'emails', 1, 0);
    await h.server.throughput.sample();
    await runJobs(h, 'emails', 2, 1);
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
