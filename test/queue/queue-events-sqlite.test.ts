/**
 * Job events across processes on SQLite: a capped table read by the listener whenever the change
 * watcher sees another connection's commit (every `pollIntervalMs`, default 5 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueEvents } from '../../src/queue/queue-events.js';
import { ShardedSqliteStore } from '../../src/store/sqlite/sharded-sqlite-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../support/wait.js';
import { jobEventCases, record } from './queue-events-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'redrive-events-'));
let files = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('job events on SQLite', () => {
  jobEventCases(() => {
    const path = join(dir, `events-${++files}.db`);
    return { spec: `sqlite:${path}`, open: async () => new SqliteStore({ path }) };
  });

  it('resumes after a saved event id, and keeps about eventRetention rows', async () => {
    const path = join(dir, `events-${++files}.db`);
    const store = new SqliteStore({ path, eventRetention: 50 });
    const batch = (jobId: string) => ({
      events: [
        { event: 'job.completed' as const, queue: 'q', jobId, name: 'n', attempt: 1, durationMs: 1, at: 1 },
      ],
      now: 1,
    });
    const first = new QueueEvents('q', { store });
    const heard = record(first);
    await first.ready;
    await store.publishJobEvents(batch('1'));
    await waitFor('first event', () => heard.length === 1);
    const saved = first.lastEventId!;
    await first.close();
    await store.publishJobEvents(batch('2'));
    await store.publishJobEvents(batch('3'));
    const other = new SqliteStore({ path });
    const second = new QueueEvents('q', { store: other, lastEventId: saved });
    const later = record(second);
    await second.ready;
    await waitFor('missed events', () => later.length === 2);
    expect(later.map((e) => e.jobId)).toEqual(['2', '3']);
    await second.close();
    for (let i = 0; i < 300; i++) await store.publishJobEvents(batch(String(i)));
    const rows = new SqliteStore({ path });
    const db = (rows as unknown as { db: { prepare(sql: string): { pluck(): { get(): number } } } }).db;
    expect(db.prepare('SELECT count(*) FROM redrive_job_events').pluck().get()).toBeLessThanOrEqual(150);
    await Promise.all([store.close(), other.close(), rows.close()]);
  });

  it('a sharded store carries events in its first shard and progress on the job’s shard', async () => {
    const store = new ShardedSqliteStore({ directory: join(dir, `sharded-${++files}`), shards: 3 });
    const listener = new QueueEvents('s', { store });
    const heard = record(listener);
    await listener.ready;
    const now = Date.now();
    const [inserted] = await store.insertJobs({
      jobs: [
        {
          queue: 's',
          name: 'n',
          payloadJson: '{}',
          priority: 1,
          runAt: now,
          maxAttempts: 1,
          timeoutMs: null,
          backoff: null,
          idempotencyKey: null,
          replayOf: null,
        },
      ],
      now,
    });
    const [claimed] = await store.claimJobs({
      queue: 's',
      workerId: 'w',
      limit: 1,
      leaseMs: 1000,
      now,
      claimId: 'c',
    });
    expect(claimed?.id).toBe(inserted!.id);
    expect(
      await store.updateJobProgress({ id: claimed!.id, token: claimed!.token, progressJson: '50', now }),
    ).toEqual({
      id: claimed!.id,
      ok: true,
    });
    expect(
      (await store.updateJobProgress({ id: claimed!.id, token: 'stale', progressJson: '60', now })).ok,
    ).toBe(false);
    expect((await store.getJob({ id: claimed!.id }))?.progress).toBe(50);
    await store.publishJobEvents({
      events: [
        {
          event: 'job.progress',
          queue: 's',
          jobId: claimed!.id,
          name: 'n',
          attempt: 1,
          progress: 50,
          at: now,
        },
      ],
      now,
    });
    await waitFor('progress event', () => heard.length === 1);
    await listener.close();
    await store.close();
  });
});
