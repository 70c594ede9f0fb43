/**
 * The PostgreSQL store's bulk insert of jobs that differ only in payload: the payloads travel as
 * one text split on the ASCII record separator, and the ids come back as a range when they are
 * consecutive. Each job must get its own payload and id, in input order, whether the ids are
 * consecutive or not, and a payload holding the separator must still arrive intact.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Queue } from '../../src/queue/queue.js';
import type { NewJob } from '../../src/store/job-store.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL bulk insert', () => {
  const schema = new PostgresTestSchema(postgres.url, 'bulkinsert');
  let store: PostgresStore;
  beforeEach(async () => {
    store = await schema.freshStore();
    await schema.pool.query(`ALTER SEQUENCE "${schema.schema}".jobs_id_seq INCREMENT BY 1`);
    return () => store.close();
  });
  afterAll(() => schema.drop());

  /** Each stored job's payload text, by id. */
  const payloadsById = async () =>
    new Map(
      (
        await schema.pool.query<{ id: string; payload: string }>(
          `SELECT id::text, payload FROM "${schema.schema}".jobs`,
        )
      ).rows.map((r) => [r.id, r.payload]),
    );

  const job = (payloadJson: string): NewJob => ({
    queue: 'bulk',
    name: 'n',
    payloadJson,
    priority: 0,
    runAt: 1_000,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
  });

  it('gives each job of a batch its own payload and id, in input order, ids consecutive or not', async () => {
    const queue = new Queue<{ i: number; text: string }>('bulk', { store });
    const batch = (from: number) =>
      Array.from({ length: 300 }, (_, k) => ({
        name: 'n',
        // Escaped by JSON.stringify: the separator inside a payload's string is no separator.
        payload: { i: from + k, text: k % 7 === 0 ? 'a\u001eb' : `x${k}` },
      }));
    const consecutive = await queue.addBulk(batch(0));
    // Another session drawing ids in between a statement's rows leaves gaps; so does this.
    await schema.pool.query(`ALTER SEQUENCE "${schema.schema}".jobs_id_seq INCREMENT BY 3`);
    const gapped = await queue.addBulk(batch(300));
    const stored = await payloadsById();
    const added = [...consecutive, ...gapped];
    expect(new Set(added.map((j) => j.id)).size).toBe(600);
    added.forEach((j, index) => {
      expect(JSON.parse(stored.get(j.id)!)).toEqual({
        i: index,
        text: (index % 300) % 7 === 0 ? 'a\u001eb' : `x${index % 300}`,
      });
    });
    expect(Number(gapped[1]!.id) - Number(gapped[0]!.id)).toBe(3);
    await queue.close();
  });

  it('keeps a payload text that holds the separator itself, or is empty, exactly as given', async () => {
    const texts = ['{"a":1}', 'raw\u001eseparator', '', '{"b":2}'];
    for (const batch of [texts, [''], ['one\u001etwo']]) {
      await schema.truncate();
      const results = await store.insertJobs({ jobs: batch.map(job), now: 1_000 });
      const stored = await payloadsById();
      expect(results.map((r) => stored.get(r.id))).toEqual(batch);
    }
  });
});
