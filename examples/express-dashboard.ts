/**
 * An Express app with the redrive dashboard mounted at /ops/redrive behind the app's own auth, an
 * order route that enqueues a job, and a worker processing them in the same process.
 *
 *   npx tsx examples/express-dashboard.ts        (PORT=3000 by default; DATA_DIR for the database)
 *   curl -X POST localhost:3000/orders -H 'content-type: application/json' -d '{"sku":"a-1"}'
 *   open http://localhost:3000/ops/redrive/  (send the header x-demo-user: alice, or adapt authenticate)
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { enqueueHandler, redriveExpress } from '../src/adapters/express.js';
import { Queue, SqliteStore, Worker } from '../src/index.js';

const dataDir = process.env.DATA_DIR ?? join(process.cwd(), 'data');
mkdirSync(dataDir, { recursive: true });
const store = new SqliteStore({ path: join(dataDir, 'example-express.db') });
const orders = new Queue<{ sku: string }>('orders', { store });
const worker = new Worker<{ sku: string }>('orders', async (job) => ({ shipped: job.payload.sku }), {
  store,
});

const app = express();
const dashboard = redriveExpress({
  store,
  logger: false,
  // Stands in for the app's session lookup: who is signed in, and what they may do.
  authenticate: (req) => {
    const user = req.get('x-demo-user');
    return user ? { actor: user, role: 'operator' } : null;
  },
});
dashboard.admin.attachWorker(worker);
app.use('/ops/redrive', dashboard.router);
app.post(
  '/orders',
  express.json(),
  enqueueHandler(orders, (req) => ({ name: 'order', payload: { sku: String(req.body?.sku ?? '') } })),
);

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}/ (dashboard at /ops/redrive/)`);
});

process.once('SIGTERM', () => {
  server.close();
  void (async () => {
    await worker.close();
    await dashboard.close();
    await store.close();
  })();
});
