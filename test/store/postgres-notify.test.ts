/**
 * LISTEN/NOTIFY wake-ups of the PostgreSQL store: a commit by another store (another process, as far
 * as PostgreSQL can tell: its own pool) wakes this store's watchers; a transaction that rolls back
 * wakes nobody; after the listening connection drops, it comes back by itself and wakes every watcher
 * once (a poll, since a notification sent meanwhile was lost), then hears new commits again.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/queue/queue.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { pause, waitFor } from '../support/wait.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('PostgreSQL wake-ups (LISTEN/NOTIFY)', () => {
  const schema = new PostgresTestSchema(postgres.url, 'notify');
  afterAll(() => schema.drop());

  it('wakes watchers on other connections at commit, not on rollback, and survives a dropped connection', async () => {
    const producer = await schema.freshStore();
    const otherPool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    const consumer = new PostgresStore({ pool: otherPool, schema: schema.schema });
    let wakes = 0;
    const unwatch = consumer.watchQueue('emails', () => {
      wakes++;
    });
    try {
      await waitFor('the LISTEN connection', () => consumer.listening);
      await waitFor('the wake-up after listening starts', () => wakes >= 1);
      const afterConnect = wakes;

      const queue = new Queue('emails', { store: producer });
      await queue.add('welcome', { to: 'ada@example.com' });
      await waitFor('a wake-up from the other store', () => wakes > afterConnect);

      const client = await schema.pool.connect();
      const beforeRollback = wakes;
      try {
        await client.query('BEGIN');
        await queue.add('welcome', { to: 'bob@example.com' }, { client });
        await client.query('ROLLBACK');
        // A marker commit on another queue: once its NOTIFY is delivered, an earlier one would have been too.
        await new Queue('marker', { store: producer }).add('x', {});
        await pause(50);
        expect(wakes).toBe(beforeRollback);
        await client.query('BEGIN');
        await queue.add('welcome', { to: 'cy@example.com' }, { client });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await waitFor('a wake-up from the committed transaction', () => wakes > beforeRollback);

      const beforeDrop = wakes;
      consumer.simulateListenerDrop();
      await waitFor('the listener to notice the drop', () => !consumer.listening);
      await waitFor('the listener to reconnect', () => consumer.listening, { timeoutMs: 10_000 });
      await waitFor('the poll right after reconnecting', () => wakes > beforeDrop);
      const afterReconnect = wakes;
      await queue.add('welcome', { to: 'dee@example.com' });
      await waitFor('a wake-up on the new connection', () => wakes > afterReconnect);
      await queue.close();
    } finally {
      unwatch();
      await consumer.close();
      await otherPool.end();
      await producer.close();
    }
  });
});
