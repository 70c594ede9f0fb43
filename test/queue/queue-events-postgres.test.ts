/**
 * Job events across processes on PostgreSQL: NOTIFY on the schema's event channel, in payloads
 * under the 8000-byte limit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/core/job-event.js';
import { QueueEvents } from '../../src/queue/queue-events.js';
import { notifyPayloads } from '../../src/store/postgres/postgres-job-events.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService, postgresUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { jobEventCases, record } from './queue-events-cases.js';

const postgres = await postgresService();
const fixture = postgres.available ? new PostgresTestSchema(postgresUrl(), 'events') : undefined;

afterAll(async () => {
  await fixture?.drop();
});

describe.skipIf(!postgres.available)('job events on PostgreSQL', () => {
  jobEventCases(() => ({
    spec: `postgres:${fixture!.schema}`,
    open: async () => {
      const store = new PostgresStore({ url: postgresUrl(), schema: fixture!.schema });
      await store.ready();
      return store;
    },
  }));

  it('splits a large batch into NOTIFY payloads under 8000 bytes, every event delivered once', async () => {
    const events: JobEvent[] = Array.from({ length: 400 }, (_, i) => ({
      event: 'job.progress',
      queue: 'bulk',
      jobId: String(i),
      name: 'n',
      attempt: 1,
      progress: { note: 'x'.repeat(100) },
      at: 1,
    }));
    const payloads = notifyPayloads(events);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const store = new PostgresStore({ url: postgresUrl(), schema: fixture!.schema });
    const listener = new QueueEvents('bulk', { store });
    const heard = record(listener);
    await listener.ready;
    await store.publishJobEvents({ events, now: 1 });
    await waitFor('every event', () => heard.length === events.length);
    expect(heard.map((e) => e.jobId)).toEqual(events.map((e) => e.jobId));
    await listener.close();
    await store.close();
  });
});
