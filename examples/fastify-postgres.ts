/**
 * A Fastify service on PostgreSQL that enqueues inside its own transaction: POST /orders inserts
 * the order and its `ship` job in one transaction (`queue.add(name, payload, { client })`), so the
 * job exists if and only if the order does; a worker in the same process ships it.
 *
 *   POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npx tsx examples/fastify-postgres.ts
 *   curl -X POST localhost:3000/orders -H 'content-type: application/json' -d '{"sku":"a-1"}'
 *   curl localhost:3000/jobs/<jobId>
 *
 * PORT (default 3000) and SCHEMA (default redrive_example: the store's tables and the orders
 * table live there) are read from the environment.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { PostgresStore, Queue, Worker } from '../src/index.js';

const schema = process.env.SCHEMA ?? 'redrive_example';
const pool = new pg.Pool({
  connectionString: process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
});
const store = new PostgresStore({ pool, schema });
await store.ready(); // creates the schema and the store's tables
const orders = `"${schema}".orders`;
await pool.query(`CREATE TABLE IF NOT EXISTS ${orders} (id serial PRIMARY KEY, sku text NOT NULL)`);

const shipping = new Queue<{ orderId: number; sku: string }>('shipping', { store });
const worker = new Worker<{ orderId: number; sku: string }>(
  'shipping',
  async (job) => ({ shipped: job.payload.orderId }),
  { store },
);

const app = Fastify();
app.post<{ Body: { sku?: unknown } }>('/orders', async (request, reply) => {
  const sku = request.body?.sku;
  if (typeof sku !== 'string' || sku === '') return reply.code(400).send({ error: 'sku is required' });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO ${orders} (sku) VALUES ($1) RETURNING id`,
      [sku],
    );
    const orderId = rows[0]!.id;
    // In the same transaction: rolled back with the order, committed with it.
    const job = await shipping.add('ship', { orderId, sku }, { client });
    await client.query('COMMIT');
    return reply.code(202).send({ orderId, jobId: job.id });
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
});
app.get<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
  const job = await store.getJob({ id: request.params.id });
  return job
    ? { id: job.id, state: job.state, result: job.result }
    : reply.code(404).send({ error: 'no such job' });
});

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${address}/`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await worker.close();
    await store.close();
    await pool.end();
    process.exit(0);
  })();
});
