/**
 * Job events across processes on Redis: a capped stream per queue, resumable from an event id.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/queue/queue.js';
import { QueueEvents } from '../../src/queue/queue-events.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { deleteKeysWithPrefix, redisService, redisUrl, uniqueKeyPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { jobEventCases, record } from './queue-events-cases.js';

const redis = await redisService();
const prefixes: string[] = [];

function freshPrefix(): string {
  const prefix = uniqueKeyPrefix('events').replace(/:$/, '');
  prefixes.push(prefix);
  return prefix;
}

afterAll(async () => {
  if (!redis.available) return;
  const client = new Redis(redisUrl());
  for (const prefix of prefixes) await deleteKeysWithPrefix(client, `{${prefix}}`);
  await client.quit();
});

describe.skipIf(!redis.available)('job events on Redis', () => {
  jobEventCases(() => {
    const prefix = freshPrefix();
    return {
      spec: `redis:${prefix}`,
      open: async () => new RedisStore({ url: redisUrl(), prefix, clock: 'caller' }),
    };
  });

  it('a listener resumes after the last event id it saw, and the stream stays capped', async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: redisUrl(), prefix, eventStreamLength: 5 });
    const at = 1_000;
    const batch = (jobId: string) => ({
      events: [
        { event: 'job.completed' as const, queue: 'q', jobId, name: 'n', attempt: 1, durationMs: 1, at },
      ],
      now: at,
    });
    const first = new QueueEvents('q', { store });
    const heard = record(first);
    await first.ready;
    await store.publishJobEvents(batch('1'));
    await waitFor('first event', () => heard.length === 1);
    const resumeFrom = first.lastEventId;
    await first.close();
    await store.publishJobEvents(batch('2'));
    await store.publishJobEvents(batch('3'));
    const second = new QueueEvents('q', { store, ...(resumeFrom ? { lastEventId: resumeFrom } : {}) });
    const later = record(second);
    await second.ready;
    await waitFor('missed events', () => later.length === 2);
    expect(later.map((e) => e.jobId)).toEqual(['2', '3']);
    await second.close();
    for (let i = 0; i < 300; i++) await store.publishJobEvents(batch(String(i)));
    const length = await store.redis.xlen(`{${prefix}}:ev:q`);
    expect(length).toBeLessThan(300);
    // A queue's listener hears nothing of another queue's events.
    const other = new QueueEvents('other', { store });
    const none = record(other);
    await other.ready;
    await store.publishJobEvents(batch('x'));
    await new Queue('other', { store }).add('n', {});
    await other.close();
    expect(none).toEqual([]);
    await store.close();
  });
});
