/**
 * /metrics: Prometheus text with jobs by queue and state, dead letters by status and domain, the
 * oldest pending age, breaker and replay-queue state, worker counters and durations, who leads the
 * store's maintenance; bounded label
 * cardinality; one registry per server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OTHER_LABEL } from '../../src/admin/metrics.js';
import { CircuitBreaker, PermanentError, Queue, ReplayQueue, Worker } from '../../src/index.js';
import { type AdminHarness, createAdminHarness } from './helpers.js';

let h: AdminHarness;
const breaker = new CircuitBreaker({ name: 'payments-api' });
const replayQueue = new ReplayQueue({ maxDepth: 10 });

beforeEach(() => {
  breaker.reset();
  replayQueue.clear();
  h = createAdminHarness({
    breakers: [breaker, { name: 'mail', breaker: new CircuitBreaker() }],
    replayQueue,
  });
});

afterEach(async () => {
  await h.close();
});

/** A waiting job of `queue`, as the store inserts it. */
function newJob(queue: string) {
  return {
    queue,
    name: 'x',
    payloadJson: '{}',
    priority: 1 as const,
    runAt: Date.now(),
    maxAttempts: 1,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
  };
}

/** The value of one sample line, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('/metrics', () => {
  it('needs a token (any role)', async () => {
    expect((await h.call(null, 'GET', '/metrics')).statusCode).toBe(401);
    const r = await h.call('viewer', 'GET', '/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('reports jobs, dead letters, breakers, the replay queue and worker counters', async () => {
    const q = new Queue('emails', { store: h.store });
    for (let i = 0; i < 4; i++) await q.add(i < 3 ? 'ok' : 'bad', {});
    await q.add('later', {}, { delay: 60_000 });
    const worker = new Worker(
      'emails',
      async (job) => {
        if (job.name === 'bad') throw new PermanentError('bad job');
      },
      { store: h.store, pollIntervalMs: 5 },
    );
    const detach = h.server.attachWorker(worker);
    const deadline = Date.now() + 5000;
    while ((await h.store.countJobs({ queue: 'emails' })).dead_lettered < 1 || worker.stats().completed < 3) {
      if (Date.now() > deadline) throw new Error('worker did not finish');
      await new Promise((r) => setTimeout(r, 10));
    }
    await worker.close();
    detach();
    await h.deadLetter({ domain: 'payment' });
    await h.store.pauseQueue({ queue: 'emails' });
    breaker.forceOpen('maintenance');
    replayQueue.enqueue({ id: 1 }, 'test');
    replayQueue.enqueue({ id: 2 }, 'test');

    const text = (await h.call('viewer', 'GET', '/metrics')).body;
    expect(sample(text, 'redrive_store_up')).toBe(1);
    expect(sample(text, 'redrive_jobs{queue="emails",state="completed"}')).toBe(3);
    expect(sample(text, 'redrive_jobs{queue="emails",state="dead_lettered"}')).toBe(1);
    expect(sample(text, 'redrive_jobs{queue="emails",state="scheduled"}')).toBe(1);
    expect(sample(text, 'redrive_queue_paused{queue="emails"}')).toBe(1);
    expect(sample(text, 'redrive_dead_letters{status="pending",domain="emails"}')).toBe(1);
    expect(sample(text, 'redrive_dead_letters{status="pending",domain="payment"}')).toBe(1);
    expect(sample(text, 'redrive_dead_letter_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'redrive_dead_letter_fallback_writes_total')).toBe(0);
    expect(sample(text, 'redrive_jobs_processed_total{queue="emails"}')).toBe(3);
    expect(sample(text, 'redrive_jobs_failed_total{queue="emails"}')).toBe(1);
    expect(sample(text, 'redrive_jobs_dead_lettered_total{queue="emails",failure_type="permanent"}')).toBe(1);
    expect(sample(text, 'redrive_job_duration_seconds_count{queue="emails"}')).toBe(3);
    expect(sample(text, 'redrive_circuit_breaker_state{breaker="payments-api",state="forced_open"}')).toBe(1);
    expect(sample(text, 'redrive_circuit_breaker_state{breaker="payments-api",state="closed"}')).toBe(0);
    expect(sample(text, 'redrive_circuit_breaker_state{breaker="mail",state="closed"}')).toBe(1);
    expect(sample(text, 'redrive_replay_queue_depth')).toBe(2);
    expect(sample(text, 'redrive_replay_queue_max_depth')).toBe(10);
    expect(sample(text, 'redrive_replay_queue_backpressure_active')).toBe(0);
    expect(text).toMatch(/^# TYPE redrive_job_duration_seconds histogram$/m);

    const overview = (await h.call('viewer', 'GET', '/api/overview')).json<{
      breakers: unknown[];
      replayQueue: { depth: number };
    }>();
    expect(overview.breakers).toEqual([
      { name: 'payments-api', state: 'forced_open' },
      { name: 'mail', state: 'closed' },
    ]);
    expect(overview.replayQueue).toMatchObject({ depth: 2, maxDepth: 10, backpressure: { active: false } });
    await q.close();
  });

  it('collapses queues and domains past 100 into the overflow label', async () => {
    const jobs = Array.from({ length: 130 }, (_, i) => newJob(`q${String(i).padStart(3, '0')}`));
    await h.store.insertJobs({ jobs, now: Date.now() });
    for (let i = 0; i < 105; i++) await h.deadLetter({ domain: `domain-${i}` });
    await h.deadLetter({ domain: 'domain-0' });

    const text = (await h.call('viewer', 'GET', '/metrics')).body;
    const queues = new Set([...text.matchAll(/^redrive_jobs\{queue="([^"]+)"/gm)].map((m) => m[1]));
    expect(queues.size).toBe(101);
    expect(queues.has(OTHER_LABEL)).toBe(true);
    expect(sample(text, `redrive_jobs{queue="${OTHER_LABEL}",state="waiting"}`)).toBe(30);
    const domains = new Set(
      [...text.matchAll(/^redrive_dead_letters\{status="[^"]+",domain="([^"]+)"/gm)].map((m) => m[1]),
    );
    expect(domains.size).toBe(101);
    expect(sample(text, 'redrive_dead_letters{status="pending",domain="domain-0"}')).toBe(2);
    expect(sample(text, `redrive_dead_letters{status="pending",domain="${OTHER_LABEL}"}`)).toBe(5);
  });

  it('keeps a real queue named "other" apart from the overflow, and reports it paused', async () => {
    const names = [
      'other',
      'other',
      ...Array.from({ length: 110 }, (_, i) => `q${String(i).padStart(3, '0')}`),
    ];
    await h.store.insertJobs({ jobs: names.map(newJob), now: Date.now() });
    await h.store.pauseQueue({ queue: 'other' });
    const text = (await h.call('viewer', 'GET', '/metrics')).body;
    expect(OTHER_LABEL).not.toBe('other');
    expect(sample(text, 'redrive_jobs{queue="other",state="waiting"}')).toBe(2);
    expect(sample(text, 'redrive_queue_paused{queue="other"}')).toBe(1);
    expect(sample(text, `redrive_jobs{queue="${OTHER_LABEL}",state="waiting"}`)).toBe(11);
    expect(sample(text, `redrive_queue_paused{queue="${OTHER_LABEL}"}`)).toBeUndefined();
  });

  it("shows who leads the store's maintenance and when each service last ran", async () => {
    let text = (await h.call('viewer', 'GET', '/metrics')).body;
    expect(sample(text, 'redrive_maintenance_leader_epoch')).toBe(0);
    expect(text).not.toContain('redrive_maintenance_leader{');
    const now = Date.now();
    const won = await h.store.acquireLeadership({ candidate: 'host-a:42', leaseMs: 60_000, now });
    const epoch = won.leader ? won.lease.epoch : -1;
    await h.store.renewLeadership({
      candidate: 'host-a:42',
      epoch,
      leaseMs: 60_000,
      now,
      serviceRuns: { 'lease-rescuer': 1_767_225_600_000 },
    });
    text = (await h.call('viewer', 'GET', '/metrics')).body;
    expect(sample(text, 'redrive_maintenance_leader{holder="host-a:42"}')).toBe(1);
    expect(sample(text, 'redrive_maintenance_leader_epoch')).toBe(epoch);
    expect(
      sample(text, 'redrive_maintenance_service_last_run_timestamp_seconds{service="lease-rescuer"}'),
    ).toBe(1_767_225_600);
    expect(sample(text, 'redrive_maintenance_lease_expires_timestamp_seconds')).toBeGreaterThan(now / 1000);
  });

  it('reports the store as down instead of failing the scrape', async () => {
    await h.store.close();
    const r = await h.call('viewer', 'GET', '/metrics');
    expect(r.statusCode).toBe(200);
    expect(sample(r.body, 'redrive_store_up')).toBe(0);
  });

  it('keeps one registry per server: two servers in one process do not collide', async () => {
    const other = createAdminHarness();
    try {
      await h.call('viewer', 'GET', '/api/whoami');
      const a = (await h.call('viewer', 'GET', '/metrics')).body;
      const b = (await other.call('viewer', 'GET', '/metrics')).body;
      expect(a).toMatch(/route="\/api\/whoami"/);
      expect(b).not.toMatch(/route="\/api\/whoami"/);
    } finally {
      await other.close();
    }
  });
});
