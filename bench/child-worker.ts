/**
 * A worker in its own process, for the cross-process latency scenario:
 *
 *   node --import tsx bench/child-worker.ts <dbpath | store URL> [NORMAL|FULL]
 *
 * A SQLite file path opens a SqliteStore at that `synchronous`; a `postgres://` or `redis://` URL
 * (with its `?schema=` or `?prefix=`) opens that store as the CLI would.
 * Runs a concurrency-1 Worker on the queue `bench` of the database and reports each handler start
 * as `{ type: 'start', seq, at }` (`at` in epoch ms: time origin + performance.now()), over IPC
 * when spawned with an IPC channel, otherwise as JSON lines on stdout. Sends `{ type: 'ready' }`
 * once running; closes cleanly on a `{ type: 'stop' }` message, SIGTERM or SIGINT.
 */
import { openStore, parseStoreUrl } from '../src/cli/store-url.js';
import { SqliteStore, Worker } from '../src/index.js';
import { epochMs } from './clock.js';
import type { BenchPayload } from './payload.js';
import { QUEUE } from './scenarios/context.js';

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'start'; seq: number; at: number }
  | { type: 'closed' };

const [dbPath, synchronous = 'NORMAL'] = process.argv.slice(2);
if (!dbPath || (synchronous !== 'NORMAL' && synchronous !== 'FULL')) {
  process.stderr.write('usage: node --import tsx bench/child-worker.ts <dbpath | store URL> [NORMAL|FULL]\n');
  process.exit(2);
}

const report: (message: ChildMessage) => void = process.send
  ? (message) => process.send!(message)
  : (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const store = /^(postgres(ql)?|rediss?):\/\//i.test(dbPath)
  ? openStore(parseStoreUrl(dbPath))
  : new SqliteStore({ path: dbPath, synchronous });
const worker = new Worker<BenchPayload>(
  QUEUE,
  async (job) => {
    report({ type: 'start', seq: job.payload.seq, at: epochMs() });
  },
  { store, concurrency: 1 },
);
worker.on('error', ({ error }) => process.stderr.write(`child-worker: ${error.message}\n`));

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await worker.close();
  await store.close();
  report({ type: 'closed' });
  process.disconnect?.();
}

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void shutdown();
});
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
report({ type: 'ready' });
process.on('disconnect', () => void shutdown());
