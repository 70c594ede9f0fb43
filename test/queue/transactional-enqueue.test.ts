import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, Queue, SqliteStore } from '../../src/index.js';

let dir: string;
let db: Database.Database;
let store: SqliteStore;
let queue: Queue<{ orderId: number }>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-tx-test-'));
  db = new Database(join(dir, 'app.db'));
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)');
  store = new SqliteStore({ database: db, pollIntervalMs: 0 });
  queue = new Queue('orders', { store, clock: new FakeClock() });
});

afterEach(async () => {
  await store.close();
  expect(db.open).toBe(true); // the store does not close the application's connection
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function placeOrder(total: number, fail: boolean, options?: { idempotencyKey?: string }) {
  return db.transaction(() => {
    const info = db.prepare('INSERT INTO orders (total) VALUES (?)').run(total);
    const job = queue.addSync('confirm', { orderId: Number(info.lastInsertRowid) }, options);
    if (fail) throw new Error('payment declined');
    return job;
  })();
}

const orderCount = () => db.prepare('SELECT COUNT(*) FROM orders').pluck().get() as number;

describe('Queue.addSync inside the application transaction', () => {
  it('commit: the job exists with the row', async () => {
    const job = placeOrder(10, false);
    expect(job.created).toBe(true);
    expect(orderCount()).toBe(1);
    expect(await queue.getJob(job.id)).toMatchObject({
      name: 'confirm',
      payload: { orderId: 1 },
      state: 'waiting',
    });
  });

  it('throw: neither the row nor the job exists', async () => {
    expect(() => placeOrder(10, true)).toThrow('payment declined');
    expect(orderCount()).toBe(0);
    expect(await queue.getCounts()).toMatchObject({ waiting: 0, scheduled: 0 });
  });

  it('a rollback after earlier commits removes only the rolled-back job', async () => {
    placeOrder(1, false);
    expect(() => placeOrder(2, true)).toThrow();
    placeOrder(3, false);
    expect(orderCount()).toBe(2);
    const jobs = await store.listJobs({ queue: 'orders', limit: 10 });
    expect(jobs.map((j) => j.payload)).toEqual([{ orderId: 1 }, { orderId: 2 }]);
  });

  it('rolls back keyed jobs too, so the key is free again', async () => {
    expect(() => placeOrder(1, true, { idempotencyKey: 'order-A' })).toThrow();
    const job = placeOrder(1, false, { idempotencyKey: 'order-A' });
    expect(job.created).toBe(true);
    expect(await queue.getCounts()).toMatchObject({ waiting: 1 });
  });

  it('a queue first used in a rolled-back transaction is still listed once a job commits', async () => {
    expect(() => placeOrder(1, true)).toThrow();
    placeOrder(2, false);
    expect(await store.listQueues()).toEqual([{ name: 'orders', paused: false }]);
  });

  it('is refused by a store without transactional enqueue', () => {
    const plain = new Queue('x', {
      store: new Proxy(store, {
        get: (target, prop) =>
          prop === 'capabilities' ? { notify: true } : (Reflect.get(target, prop, target) as unknown),
      }),
    });
    expect(() => plain.addSync('x', 1)).toThrow(/does not support transactional enqueue/);
  });
});
