/**
 * StreamProcessor benchmark (standalone): `npx tsx bench/streams.ts [--messages 200000] [--batch 100]
 * [--concurrency 100] [--repeat 3] [--json]`.
 *
 * Fills a fresh stream on REDIS_URL (default redis://127.0.0.1:6379) with small messages (pipelined
 * XADD), then starts a StreamProcessor with batches of `--batch` and a trivial async handler, and
 * measures messages consumed and acked per second, from `start()` until every message is acked
 * (checked on the group: nothing pending, everything delivered). Repeats and keeps the median.
 * Also measures raw ioredis XREADGROUP + XACK on the same data as a baseline.
 * Target (issue 6): >= 80 000 messages/s with batches of 100.
 */

import { Redis } from 'ioredis';
import { StreamProcessor } from '../src/streams/stream-processor.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = option('messages', 200_000);
const BATCH = option('batch', 100);
const CONCURRENCY = option('concurrency', 100);
const REPEAT = option('repeat', 3);
const JSON_OUT = args.includes('--json');
const URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const TARGET = 80_000;

const admin = new Redis(URL);
const prefix = `bench:streams:${process.pid}:${Date.now()}`;

async function fill(stream: string): Promise<void> {
  for (let i = 0; i < MESSAGES; i += 1000) {
    const p = admin.pipeline();
    for (let j = i; j < Math.min(MESSAGES, i + 1000); j++)
      p.xadd(stream, '*', 'n', String(j), 'kind', 'order.created');
    await p.exec();
  }
}

async function processorRun(run: number): Promise<number> {
  const stream = `${prefix}:p${run}`;
  await fill(stream);
  let handled = 0;
  const processor = new StreamProcessor({
    connection: URL,
    stream,
    group: 'bench',
    consumer: 'c1',
    batchSize: BATCH,
    concurrency: CONCURRENCY,
    handler: async () => {
      handled++;
    },
  });
  const t0 = performance.now();
  await processor.start();
  for (;;) {
    if (processor.stats().acked >= MESSAGES) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = performance.now() - t0;
  await processor.stop();
  const info = ((await admin.xinfo('GROUPS', stream)) as unknown[][])[0] as unknown[];
  const pending = info[info.indexOf('pending') + 1];
  if (Number(pending) !== 0 || handled !== MESSAGES)
    throw new Error(`pending ${pending}, handled ${handled}`);
  await admin.del(stream, `${stream}:dlq`);
  return (MESSAGES / ms) * 1000;
}

async function rawRun(run: number): Promise<number> {
  const stream = `${prefix}:r${run}`;
  await fill(stream);
  await admin.xgroup('CREATE', stream, 'bench', '0');
  const r = new Redis(URL);
  const t0 = performance.now();
  let done = 0;
  while (done < MESSAGES) {
    const reply = (await r.xreadgroup('GROUP', 'bench', 'c1', 'COUNT', BATCH, 'STREAMS', stream, '>')) as
      | [string, [string, string[]][]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    await r.xack(stream, 'bench', ...entries.map((e) => e[0]));
    done += entries.length;
  }
  const ms = performance.now() - t0;
  r.disconnect();
  await admin.del(stream);
  return (done / ms) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  const proc: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    raw.push(await rawRun(i));
    proc.push(await processorRun(i));
  }
  const result = {
    messages: MESSAGES,
    batch: BATCH,
    concurrency: CONCURRENCY,
    processorPerSec: Math.round(median(proc)),
    rawIoredisPerSec: Math.round(median(raw)),
    runs: proc.map(Math.round),
    target: TARGET,
    pass: median(proc) >= TARGET,
  };
  if (JSON_OUT) console.log(JSON.stringify(result));
  else {
    console.log(
      `StreamProcessor: ${result.processorPerSec.toLocaleString('en')} messages/s consumed and acked`,
    );
    console.log(
      `  (batch ${BATCH}, concurrency ${CONCURRENCY}, ${MESSAGES.toLocaleString('en')} messages, median of ${REPEAT}: ${result.runs.join(', ')})`,
    );
    console.log(
      `raw ioredis XREADGROUP+XACK loop: ${result.rawIoredisPerSec.toLocaleString('en')} messages/s`,
    );
    console.log(`target >= ${TARGET.toLocaleString('en')}/s: ${result.pass ? 'PASS' : 'FAIL'}`);
  }
  process.exitCode = result.pass ? 0 : 1;
} finally {
  admin.disconnect();
}
