/**
 * Names PostgreSQL limits to 63 bytes that carry the schema: prepared statements (cut, so with a
 * long schema every statement would share one name and the second prepared on a connection would
 * fail) and NOTIFY channels (refused). Long names end in a hash of the whole instead.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/index.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import { jobEventsChannel } from '../../src/store/postgres/postgres-job-events.js';
import { fitIdentifier, notifyChannel } from '../../src/store/postgres/sql-files.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

describe('PostgreSQL identifiers that carry the schema', () => {
  it('keeps a name PostgreSQL would keep whole, and makes names that share 63 bytes distinct', () => {
    expect(fitIdentifier('redrive_redrive_jobs_claim')).toBe('redrive_redrive_jobs_claim');
    const schema = 's'.repeat(63);
    const claim = fitIdentifier(`redrive_${schema}_jobs_claim`);
    const complete = fitIdentifier(`redrive_${schema}_jobs_complete`);
    expect(Buffer.byteLength(claim)).toBeLessThanOrEqual(63);
    expect(Buffer.byteLength(complete)).toBeLessThanOrEqual(63);
    expect(claim).not.toBe(complete);
    expect(fitIdentifier(`redrive_${schema}_jobs_claim`)).toBe(claim);
    // Channels of the schemas that always worked keep their names (triggers carry them).
    expect(notifyChannel('redrive')).toBe('redrive:redrive');
    expect(jobEventsChannel('redrive')).toBe('redrive:redrive:events');
    expect(Buffer.byteLength(jobEventsChannel(schema))).toBeLessThanOrEqual(63);
    expect(jobEventsChannel(schema)).not.toBe(notifyChannel(schema));
  });
});

const postgres = await postgresService();

describe.skipIf(!postgres.available)('a PostgreSQL store in a schema with a long name', () => {
  // 62 characters or so: as long as a schema name may be, give or take the pid's digits.
  const schema = new PostgresTestSchema(postgres.url, 'statement_names_'.padEnd(40, 'x'));
  afterAll(() => schema.drop());

  it('adds, claims, completes and reads jobs, listening on its channel', async () => {
    expect(schema.schema.length).toBeGreaterThan(55);
    const store = await schema.freshStore();
    const clock = new FakeClock();
    const queue = new Queue('emails', { store, clock });
    const worker = new Worker('emails', async (job) => ({ sent: job.payload }), {
      store,
      clock,
      pollIntervalMs: 10,
    });
    try {
      const added = await queue.addBulk([
        { name: 'a', payload: 1 },
        { name: 'b', payload: 2 },
      ]);
      await waitFor('both jobs completed', async () => {
        const jobs = await Promise.all(added.map(({ id }) => store.getJob({ id })));
        return jobs.every((job) => job?.state === 'completed');
      });
      expect(await store.getJob({ id: added[1]!.id })).toMatchObject({ result: { sent: 2 } });
    } finally {
      await worker.close({ timeoutMs: 0 });
      await queue.close();
      await store.close();
    }
  });
});
