import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defineTask,
  type Job,
  PeriodicScheduler,
  type PeriodicSchedulerOptions,
  periodicSlotKey,
  type SqliteStore,
  ValidationError,
} from '../../src/index.js';
import { createFakeTime, type FakeTime } from './fake-time-harness.js';

let t: FakeTime;
beforeEach(() => {
  t = createFakeTime();
});
afterEach(async () => {
  await t.cleanup();
});

const MINUTE = 60_000;

function scheduler(options: Partial<PeriodicSchedulerOptions> = {}): PeriodicScheduler {
  const s = new PeriodicScheduler({ clock: t.clock, queue: t.queue('periodic'), ...options });
  t.onCleanup(() => s.stop());
  return s;
}

async function jobs(queue = 'periodic', store: SqliteStore = t.store): Promise<Job[]> {
  return store.listJobs({ queue, limit: 1000 });
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('PeriodicScheduler: intervals', () => {
  it('enqueues the current slot on start, then one job per slot, keyed by slot', async () => {
    const s = scheduler();
    s.add({ name: 'cleanup', everyMs: MINUTE });
    expect(s.list()[0]).toMatchObject({
      name: 'cleanup',
      queue: 'periodic',
      jobName: 'cleanup',
      lastSlotAt: null,
    });

    s.start();
    await t.advance(0);
    await t.advance(3 * MINUTE, 1000);
    const all = await jobs();
    expect(all.map((j) => j.idempotencyKey)).toEqual([
      `periodic:cleanup:${iso(t.t0)}`,
      `periodic:cleanup:${iso(t.t0 + MINUTE)}`,
      `periodic:cleanup:${iso(t.t0 + 2 * MINUTE)}`,
      `periodic:cleanup:${iso(t.t0 + 3 * MINUTE)}`,
    ]);
    expect(all[1]).toMatchObject({
      name: 'cleanup',
      payload: { schedule: 'cleanup', slotAt: t.t0 + MINUTE },
    });
    expect(s.list()[0]).toMatchObject({
      lastSlotAt: t.t0 + 3 * MINUTE,
      lastJobId: all[3]?.id,
      nextRunAt: t.t0 + 4 * MINUTE,
      enqueued: 4,
      deduplicated: 0,
    });
  });

  it('slots are aligned to the epoch, so every process computes the same ones', async () => {
    t.clock.set(t.t0 + 25_000);
    const s = scheduler();
    s.add({ name: 'tick', everyMs: MINUTE, catchUp: 'none' });
    s.start();
    await t.advance(0);
    expect(await jobs()).toHaveLength(0);
    expect(s.list()[0]?.nextRunAt).toBe(t.t0 + MINUTE);
    await t.advance(35_000, 1000);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([periodicSlotKey('tick', t.t0 + MINUTE)]);
  });

  it('two schedulers on one store enqueue each slot once', async () => {
    const otherStore = t.otherProcess();
    const a = scheduler({ queue: t.queue('periodic') });
    const b = scheduler({ queue: t.queue('periodic', otherStore) });
    const created: string[] = [];
    for (const s of [a, b]) {
      s.add({ name: 'report', everyMs: MINUTE });
      s.on('periodic.enqueued', (e) => created.push(`${e.slotAt}:${e.created}`));
      s.start();
    }
    await t.advance(0);
    await t.advance(5 * MINUTE, 1000);

    const all = await jobs();
    const slots = [0, 1, 2, 3, 4, 5].map((i) => periodicSlotKey('report', t.t0 + i * MINUTE));
    expect(all.map((j) => j.idempotencyKey)).toEqual(slots);
    expect(await jobs('periodic', otherStore)).toHaveLength(6);
    // Each scheduler saw every slot; exactly one of the two created each job.
    const [la, lb] = [a.list()[0]!, b.list()[0]!];
    expect(la.enqueued + lb.enqueued).toBe(6);
    expect(la.deduplicated + lb.deduplicated).toBe(6);
    expect(created.filter((c) => c.endsWith(':true'))).toHaveLength(6);
    expect(la.lastJobId).toBe(lb.lastJobId);
  });

  it('after downtime enqueues only the latest missed slot', async () => {
    const first = scheduler();
    first.add({ name: 'sync', everyMs: MINUTE });
    first.start();
    await t.advance(0);
    await first.stop();
    expect(await jobs()).toHaveLength(1);

    // The process is down for ten minutes and a half.
    t.clock.set(t.t0 + 10.5 * MINUTE);
    const second = scheduler();
    second.add({ name: 'sync', everyMs: MINUTE });
    second.start();
    await t.advance(0);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('sync', t.t0),
      periodicSlotKey('sync', t.t0 + 10 * MINUTE),
    ]);
    // A restart within the same slot finds the slot's job and adds nothing.
    await second.stop();
    const third = scheduler();
    third.add({ name: 'sync', everyMs: MINUTE });
    third.start();
    await t.advance(0);
    expect(await jobs()).toHaveLength(2);
    expect(third.list()[0]).toMatchObject({ enqueued: 0, deduplicated: 1 });
  });

  it("catchUp 'none' skips the missed slot and waits for the next", async () => {
    t.clock.set(t.t0 + 10.5 * MINUTE);
    const s = scheduler();
    s.add({ name: 'strict', everyMs: MINUTE, catchUp: 'none' });
    s.start();
    await t.advance(0);
    expect(await jobs()).toHaveLength(0);
    await t.advance(MINUTE / 2, 1000);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('strict', t.t0 + 11 * MINUTE),
    ]);
  });

  it('enqueues only the latest slot when it wakes late', async () => {
    const s = scheduler();
    s.add({ name: 'late', everyMs: 1000 });
    s.start();
    await t.advance(0);
    // The event loop was blocked for 5.5 s: the timer fires late, at once.
    t.clock.set(t.t0 + 5500);
    await t.advance(0);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('late', t.t0),
      periodicSlotKey('late', t.t0 + 5000),
    ]);
  });

  it('sleeps at most maxSleepMs, so long intervals stay on time', async () => {
    const s = scheduler({ maxSleepMs: MINUTE });
    s.add({ name: 'daily', everyMs: 24 * 60 * MINUTE, catchUp: 'none' });
    s.start();
    await t.advance(0);
    expect(t.clock.pendingTimers).toBeGreaterThan(0);
    await t.advance(24 * 60 * MINUTE, MINUTE);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('daily', t.t0 + 24 * 60 * MINUTE),
    ]);
  });

  it('retries a slot whose enqueue failed, and reports the error', async () => {
    const q = t.queue('periodic');
    const original = q.add.bind(q);
    let failures = 2;
    q.add = (...args) => (failures-- > 0 ? Promise.reject(new Error('store down')) : original(...args));
    const s = scheduler({ queue: q, retryDelayMs: 500 });
    const errors: string[] = [];
    s.on('error', (e) => errors.push(`${e.name}@${e.slotAt}: ${e.error.message}`));
    s.add({ name: 'flaky', everyMs: MINUTE });
    s.start();
    await t.advance(0);
    expect(await jobs()).toHaveLength(0);
    await t.advance(1000, 100);
    expect(errors).toEqual([`flaky@${t.t0}: store down`, `flaky@${t.t0}: store down`]);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([periodicSlotKey('flaky', t.t0)]);
  });

  it('stop() stops scheduling; start() resumes', async () => {
    const s = scheduler();
    s.add({ name: 'pausable', everyMs: 1000, catchUp: 'none' });
    s.start();
    await t.advance(2000, 100);
    await s.stop();
    expect(s.isRunning).toBe(false);
    expect(t.clock.pendingTimers).toBe(0);
    await t.advance(3000, 100);
    expect(await jobs()).toHaveLength(2);
    s.start();
    await t.advance(1000, 100);
    expect(await jobs()).toHaveLength(3);
  });
});

describe('PeriodicScheduler: cron', () => {
  it('enqueues on a cron expression in its time zone', async () => {
    const s = scheduler();
    s.add({ name: 'five', cron: '*/5 * * * *', timezone: 'UTC', catchUp: 'none' });
    s.add({ name: 'berlin-nine', cron: '0 9 * * *', timezone: 'Europe/Berlin', catchUp: 'none' });
    // 2026-01-01T00:00Z; Berlin is UTC+1 in January.
    expect(s.list().map((e) => [e.name, e.cron, e.timezone, e.nextRunAt])).toEqual([
      ['five', '*/5 * * * *', 'UTC', t.t0 + 5 * MINUTE],
      ['berlin-nine', '0 9 * * *', 'Europe/Berlin', t.t0 + 8 * 60 * MINUTE],
    ]);
    s.start();
    await t.advance(0);
    await t.advance(12 * MINUTE, 1000);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('five', t.t0 + 5 * MINUTE),
      periodicSlotKey('five', t.t0 + 10 * MINUTE),
    ]);
  });

  it('catches up the latest missed cron slot on start', async () => {
    t.clock.set(t.t0 + 17 * MINUTE);
    const s = scheduler();
    s.add({ name: 'quarter', cron: '*/15 * * * *', timezone: 'UTC' });
    s.start();
    await t.advance(0);
    expect((await jobs()).map((j) => j.idempotencyKey)).toEqual([
      periodicSlotKey('quarter', t.t0 + 15 * MINUTE),
    ]);
    expect(s.list()[0]?.nextRunAt).toBe(t.t0 + 30 * MINUTE);
  });

  it('rejects a bad expression or time zone, naming the field', () => {
    const s = scheduler();
    expect(() => s.add({ name: 'bad', cron: 'every tuesday' })).toThrow(
      expect.objectContaining({ field: 'cron' }) as Error,
    );
    expect(() => s.add({ name: 'tz', cron: '* * * * *', timezone: 'Mars/Olympus' })).toThrow(
      expect.objectContaining({ field: 'timezone' }) as Error,
    );
  });
});

describe('PeriodicScheduler: targets and validation', () => {
  it('enqueues a task with its defaults, and a payload built from the slot', async () => {
    const reports = t.queue('reports');
    const build = defineTask(reports, 'build-report', (p: { day: string }) => p.day, { priority: 'high' });
    const s = new PeriodicScheduler({ clock: t.clock });
    t.onCleanup(() => s.stop());
    s.add({
      name: 'nightly',
      everyMs: 24 * 60 * MINUTE,
      task: build,
      payload: ({ slotAt }) => ({ day: iso(slotAt).slice(0, 10) }),
      jobOptions: { maxAttempts: 7 },
    });
    expect(s.list()[0]).toMatchObject({ queue: 'reports', jobName: 'build-report' });
    s.start();
    await t.advance(0);
    const [job] = await jobs('reports');
    expect(job).toMatchObject({
      name: 'build-report',
      payload: { day: '2026-01-01' },
      priority: 2,
      maxAttempts: 7,
      idempotencyKey: periodicSlotKey('nightly', t.t0),
    });
    expect(build.stats().enqueued).toBe(1);
  });

  it('uses a fixed payload and job name when given', async () => {
    const s = scheduler();
    s.add({ name: 'ping', everyMs: MINUTE, jobName: 'heartbeat', payload: { source: 'cron' } });
    s.start();
    await t.advance(0);
    expect(await jobs()).toMatchObject([{ name: 'heartbeat', payload: { source: 'cron' } }]);
  });

  it('adds a schedule while running, and remove() stops it', async () => {
    const s = scheduler();
    s.start();
    s.add({ name: 'hot', everyMs: 1000 });
    await t.advance(0);
    expect(await jobs()).toHaveLength(1);
    expect(s.remove('hot')).toBe(true);
    expect(s.remove('hot')).toBe(false);
    await t.advance(3000, 100);
    expect(await jobs()).toHaveLength(1);
    expect(s.list()).toEqual([]);
  });

  it('validates schedules and names the field', () => {
    const s = scheduler();
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).field;
      }
      return 'no error';
    };
    expect(field(() => s.add({ name: 'x', everyMs: 0 }))).toBe('everyMs');
    expect(field(() => s.add({ name: 'x', everyMs: 1000, cron: '* * * * *' } as never))).toBe('everyMs');
    expect(field(() => s.add({ name: 'x' } as never))).toBe('everyMs');
    expect(field(() => s.add({ name: 'has space', everyMs: 1000 }))).toBe('name');
    expect(field(() => s.add({ name: 'x', everyMs: 1000, timezone: 'UTC' } as never))).toBe('timezone');
    s.add({ name: 'x', everyMs: 1000 });
    expect(field(() => s.add({ name: 'x', everyMs: 2000 }))).toBe('name');
    const noQueue = new PeriodicScheduler({ clock: t.clock });
    expect(field(() => noQueue.add({ name: 'y', everyMs: 1000 }))).toBe('queue');
    expect(field(() => new PeriodicScheduler({ retryDelayMs: 0 }))).toBe('retryDelayMs');
  });
});
