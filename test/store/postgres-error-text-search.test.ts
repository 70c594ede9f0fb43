/**
 * Error-text search on PostgreSQL asks the trigram index for the rare words of a phrase only when
 * another word of it is in most messages (error-text-plan.ts): the pages, totals and top failures
 * of common and rare phrases are the same rows as a plain ILIKE finds, and the index scan of a
 * rare phrase looks up its rare word alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewDeadLetter } from '../../src/index.js';
import { buildWhere, SqlParams } from '../../src/store/postgres/dead-letter-filter.js';
import { ErrorTextPlanner, searchWords } from '../../src/store/postgres/error-text-plan.js';
import { PostgresConnection } from '../../src/store/postgres/postgres-connection.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { likeEscape } from '../../src/store/shared/dead-letter-filter.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();
const T0 = Date.UTC(2026, 0, 1);
const ROWS = 3000;
/** Messages that are not like the others: case, non-ASCII, LIKE's wildcards as text. */
const ODD = ['Disk 100% full_now', 'ÜBER Straße timeout', 'order_4242 in Ünïcode', 'ORDER 1234 REFUSED'];

function entry(i: number, message: string): NewDeadLetter {
  return {
    id: `dl-${String(i).padStart(5, '0')}`,
    queue: 'orders',
    jobId: null,
    jobName: 'process',
    domain: ['payment', 'email', 'webhook'][i % 3]!,
    failureType: 'retries_exhausted',
    entityType: 'order',
    entityId: `order-${i}`,
    userId: null,
    errorClass: 'UpstreamError',
    errorCode: null,
    errorMessage: message,
    errorStack: null,
    fingerprint: `fp-${i % 7}`,
    fingerprintVersion: 2,
    payload: { i },
    attempts: [],
    snapshot: null,
    requestData: null,
    responseData: null,
    metadata: {},
    nextActionHint: null,
    recommendedAction: null,
    workerId: null,
    handlerVersion: null,
    maxReplays: 3,
    firstFailedAt: T0 + i,
    // Three entries per millisecond: ties for the ordering to break.
    deadLetteredAt: T0 + Math.floor(i / 3),
    expiresAt: null,
  };
}

describe.skipIf(!postgres.available)('PostgreSQL error-text search', () => {
  const schema = new PostgresTestSchema(postgres.url, 'errtext');
  let store: PostgresStore;

  beforeAll(async () => {
    store = await schema.freshStore();
    const entries = Array.from({ length: ROWS }, (_, i) =>
      entry(i, i % 500 === 7 ? ODD[((i / 500) % ODD.length) | 0]! : `upstream returned 503 for order ${i}`),
    );
    for (let first = 0; first < ROWS; first += 1000)
      await store.insertDeadLetters({ deadLetters: entries.slice(first, first + 1000), now: T0 });
    await schema.pool.query(`ANALYZE "${schema.schema}".dead_letters`);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await schema.drop();
  });

  /** Ids a plain ILIKE finds, newest first. */
  async function reference(text: string): Promise<string[]> {
    const { rows } = await schema.pool.query(
      `SELECT id FROM "${schema.schema}".dead_letters WHERE error_message ILIKE $1
        ORDER BY dead_lettered_at DESC, seq`,
      [`%${likeEscape(text)}%`],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  const PHRASES = [
    'order 1234', // a common word and a rare one
    'ORDER 12', // the rare part too short for a trigram
    'for order 29', // two common words
    'returned 503', // every message
    'upstream',
    '03 for ord', // parts of words at both ends
    'order_4242', // _ is literal
    '100%', // so is %
    'straße',
    'über straße',
    'Ünïcode',
    'nothing like this',
  ];

  it('finds the same pages, totals and top failures as a plain ILIKE', async () => {
    for (const text of PHRASES) {
      const want = await reference(text);
      const page = await store.listDeadLetters({ limit: 20, errorText: text });
      expect(
        page.items.map((d) => d.id),
        text,
      ).toEqual(want.slice(0, 20));
      expect(page.total, text).toBe(want.length);
      const later = await store.listDeadLetters({ limit: 7, offset: 5, errorText: text, withTotal: false });
      expect(
        later.items.map((d) => d.id),
        text,
      ).toEqual(want.slice(5, 12));
      if (page.nextCursor) {
        const next = await store.listDeadLetters({ limit: 20, errorText: text, cursor: page.nextCursor });
        expect(
          next.items.map((d) => d.id),
          text,
        ).toEqual(want.slice(20, 40));
      }
      const top = await store.topDeadLetterFailures({ limit: 10, errorText: text });
      expect(
        top.groups.reduce((n, g) => n + g.count, 0),
        text,
      ).toBe(want.length);
    }
  });

  it('asks the index for the rare words of a phrase whose other words are in most messages', async () => {
    const planner = new ErrorTextPlanner(
      new PostgresConnection({ pool: schema.pool, schema: schema.schema }),
    );
    expect((await planner.plan('order 1234')).indexWords).toEqual(['1234']);
    expect((await planner.plan('ORDER 12')).indexWords).toEqual([]);
    expect((await planner.plan('for order 29')).indexWords).toEqual([]);
    expect((await planner.plan('returned 503')).indexWords).toEqual([]);
    expect((await planner.plan('Ünïcode timeout')).indexWords).toEqual(['Ünïcode', 'timeout']);
    expect((await planner.plan('1234')).indexWords).toEqual([]);
    expect(searchWords('a.b order_4242 Ünïcode ok ok3 ok3')).toEqual(['order', '4242', 'Ünïcode', 'ok3']);

    // The plan the server makes of it: the index looks up '%1234%', the phrase is a filter.
    const p = new SqlParams();
    const where = buildWhere({ errorText: 'order 1234' }, p, [], await planner.plan('order 1234'));
    const client = await schema.pool.connect();
    try {
      await client.query('BEGIN');
      // Small tables are read whole; these make the planner show the index path it has.
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query('SET LOCAL enable_indexscan = off');
      const { rows } = await client.query(
        `EXPLAIN SELECT * FROM "${schema.schema}".dead_letters ${where} ORDER BY dead_lettered_at DESC, seq LIMIT 20`,
        p.args,
      );
      const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Bitmap Index Scan on dead_letters_error_text/);
      expect(plan).toMatch(/Index Cond: \(error_message ~~\* '%1234%'::text\)/);
      expect(plan).toMatch(/Filter: \(\(error_message \|\| ''::text\) ~~\* '%order 1234%'::text\)/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
