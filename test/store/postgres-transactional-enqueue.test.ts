/**
 * Transactional enqueue on PostgreSQL: `queue.add(name, payload, { client })` and
 * `addBulk(jobs, { client })` write inside the caller's own transaction, so the jobs exist if and
 * only if it commits. Real transactions, rolled back and committed, through plain pg, Kysely and
 * Drizzle (each hands the queue something that runs SQL in its transaction).
 */
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('transactional enqueue on PostgreSQL', () => {
  const schema = new PostgresTestSchema(postgres.url, 'txenqueue');
  let store: PostgresStore;
  let queue: Queue<{ order: number }>;
  beforeEach(async () => {
    store = await schema.freshStore();
    queue = new Queue('orders', { store });
    // The application's own table, written in the same transactions as the jobs.
    await schema.pool.query(`CREATE TABLE IF NOT EXISTS "${schema.schema}".orders (id int PRIMARY KEY)`);
    await schema.pool.query(`DELETE FROM "${schema.schema}".orders`);
    return async () => {
      await queue.close();
      await store.close();
    };
  });
  afterAll(() => schema.drop());

  const orderCount = async () =>
    Number((await schema.pool.query(`SELECT count(*) AS n FROM "${schema.schema}".orders`)).rows[0].n);

  it('plain pg: a rolled-back transaction leaves no job; a committed one leaves every job', async () => {
    const client = await schema.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema.schema}".orders VALUES (1)`);
      const lost = await queue.add('ship', { order: 1 }, { client });
      // Not visible outside the transaction before it commits.
      expect(await store.getJob({ id: lost.id })).toBeNull();
      await client.query('ROLLBACK');
      expect(await store.getJob({ id: lost.id })).toBeNull();
      expect(await orderCount()).toBe(0);

      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema.schema}".orders VALUES (2)`);
      const one = await queue.add('ship', { order: 2 }, { client, idempotencyKey: 'order-2' });
      const again = await queue.add('ship', { order: 2 }, { client, idempotencyKey: 'order-2' });
      await queue.addBulk(
        [
          { name: 'ship', payload: { order: 3 } },
          { name: 'bill', payload: { order: 3 } },
        ],
        { client },
      );
      expect(again).toEqual({ ...one, created: false });
      expect(await store.countJobs({ queue: 'orders' })).toMatchObject({ waiting: 0 });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await orderCount()).toBe(1);
    const counts = await store.countJobs({ queue: 'orders' });
    expect(counts.waiting).toBe(3);
    expect((await store.listJobs({ queue: 'orders', limit: 10 })).map((j) => j.payload)).toEqual([
      { order: 2 },
      { order: 3 },
      { order: 3 },
    ]);
  });

  it('Kysely: the job commits and rolls back with the Kysely transaction', async () => {
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: schema.pool }) });
    const inTrx = (trx: Kysely<Record<string, never>>) => (text: string, values: unknown[]) =>
      trx.executeQuery(CompiledQuery.raw(text, values)) as Promise<{ rows: Record<string, unknown>[] }>;
    await expect(
      db.transaction().execute(async (trx) => {
        await queue.add('ship', { order: 10 }, { client: inTrx(trx) });
        throw new Error('payment failed');
      }),
    ).rejects.toThrow('payment failed');
    expect((await store.countJobs({ queue: 'orders' })).waiting).toBe(0);
    const added = await db
      .transaction()
      .execute(async (trx) => queue.add('ship', { order: 11 }, { client: inTrx(trx) }));
    expect((await store.getJob({ id: added.id }))?.payload).toEqual({ order: 11 });
  });

  it('Drizzle: the job commits and rolls back with the Drizzle transaction', async () => {
    const db = drizzle(schema.pool);
    type Tx = Parameters<Parameters<typeof db.transaction>[0]>[0];
    // Drizzle takes SQL as a template: split the statement at its $n placeholders and bind each value.
    const inTx = (tx: Tx) => async (text: string, values: unknown[]) => {
      const parts = text.split(/\$(\d+)/);
      const chunks = parts.map((part, i) =>
        i % 2 === 0 ? drizzleSql.raw(part) : drizzleSql.param(values[Number(part) - 1]),
      );
      return tx.execute(drizzleSql.join(chunks)) as unknown as Promise<{ rows: Record<string, unknown>[] }>;
    };
    await expect(
      db.transaction(async (tx) => {
        await queue.add('ship', { order: 20 }, { client: inTx(tx) });
        tx.rollback();
      }),
    ).rejects.toThrow();
    expect((await store.countJobs({ queue: 'orders' })).waiting).toBe(0);
    const added = await db.transaction(async (tx) =>
      queue.addBulk([{ name: 'ship', payload: { order: 21 } }], { client: inTx(tx) }),
    );
    expect((await store.getJob({ id: added[0]!.id }))?.payload).toEqual({ order: 21 });
  });

  it('refuses a client the store cannot use, naming the option', async () => {
    await expect(queue.add('ship', { order: 1 }, { client: 42 })).rejects.toBeInstanceOf(ValidationError);
    const sqlite = new SqliteStore({ path: ':memory:' });
    const local = new Queue('orders', { store: sqlite });
    await expect(local.add('ship', { order: 1 }, { client: {} })).rejects.toThrow(/addSync/);
    await local.close();
    await sqlite.close();
  });
});
