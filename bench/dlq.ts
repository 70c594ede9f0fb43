/**
 * Dead-letter queue benchmark (standalone):
 *
 *   npx tsx bench/dlq.ts [--store sqlite|redis|postgres] [--count 1000000] [--json] [--keep]
 *                        [--reuse <dir (SQLite) | schema (PostgreSQL) | key prefix (Redis)>]
 *
 * Fills a fresh store with `--count` dead letters (default 1,000,000; `--rows` is the same) through
 * its bulk path (dlq-stores.ts), then measures through the public `DeadLetterQueue` API and the
 * store: the targets (top failures, an error-text search's first page, an indexed
 * `payload.<path>` filter's first page, stats, list pages and facets), further filters, and
 * `store()` throughput (records/s and records per CPU-second of this process; with Redis and
 * PostgreSQL the server's CPU is not in it). Prints the target table first, with the load average.
 * `--keep` leaves a PostgreSQL schema in place afterwards (for EXPLAIN); drop it by hand.
 * `--reuse` fills that SQLite directory (the file bench/dashboard-render.ts --keep uses), that
 * PostgreSQL schema or the Redis keys under that prefix on the first run and measures it again on the next ones, without the slow fill;
 * the `store()` throughput is then not measured (it would add to the kept records). `--fill-only`
 * fills it and stops (the fill is not a measurement: it needs no bench lock).
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DeadLetterQueue } from '../src/index.js';
import { DEAD_LETTER_DOMAINS } from './dead-letter-records.js';
import { type DlqStoreKind, openDlqBenchStore } from './dlq-stores.js';
import { loadAtStart } from './load.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const KIND = option('store', 'sqlite') as DlqStoreKind;
if (!['sqlite', 'redis', 'postgres'].includes(KIND))
  throw new Error(`--store ${KIND}: sqlite, redis or postgres`);
const ROWS = Number(option('count', option('rows', '1000000')));
const STORE_RECORDS = Number(option('store-records', '20000'));
const REPEAT = Number(option('repeat', '10'));
const REUSE = option('reuse', '') || undefined;

type Timing = { p50: number; p95: number; max: number; runs?: number } | { error: string };

function summary(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[sorted.length - 1]!) };
}

/** p50/p95/max of `repeat` calls after one warm-up; a refused query reports its message. */
async function time(fn: () => Promise<unknown>, repeat = REPEAT): Promise<Timing> {
  try {
    const warm = performance.now();
    await fn();
    const first = performance.now() - warm;
    // A query that takes seconds (a scan at a million rows) is reported from that one run.
    if (first > 1000) return { ...summary([first]), runs: 1 };
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const start = performance.now();
      await fn();
      samples.push(performance.now() - start);
    }
    return summary(samples);
  } catch (error) {
    return { error: (error as Error).message.slice(0, 120) };
  }
}

const p50 = (t: Timing) => ('p50' in t ? t.p50 : Number.POSITIVE_INFINITY);
const show = (t: Timing) =>
  'p50' in t
    ? t.runs === 1
      ? `${t.p50} (one run)`
      : `${t.p50} / ${t.p95} / ${t.max}`
    : `refused: ${t.error}`;

async function main(): Promise<void> {
  const load = loadAtStart();
  const bench = openDlqBenchStore(KIND, REUSE);
  const { store } = bench;
  const dlq = new DeadLetterQueue({
    store,
    fallbackPath: join(process.cwd(), `.bench-dlq-fallback-${process.pid}.jsonl`),
  });
  const out: Record<string, unknown> = { store: KIND, rows: ROWS, node: process.version, loadAtStart: load };
  try {
    let start = performance.now();
    const notes = await bench.seed(ROWS);
    const fillSeconds = (performance.now() - start) / 1000;
    out.fill = {
      seconds: Math.round(fillSeconds * 10) / 10,
      rowsPerSec: Math.round(ROWS / fillSeconds),
      ...notes,
    };
    if (flag('fill-only')) {
      console.log(`filled: ${JSON.stringify(out.fill)}`);
      return;
    }

    // ---- the targets ----------------------------------------------------------------
    const targets: [string, Timing, string, boolean][] = [];
    const target = (name: string, t: Timing, goal: string, met: boolean) =>
      targets.push([name, t, goal, met]);
    const top = await time(() => dlq.topFailures({ limit: 10 }));
    target('top failures (10, every status)', top, '< 20 ms', p50(top) < 20);
    const topOpen = await time(() => dlq.topFailures({ limit: 10, status: ['pending', 'requires_review'] }));
    target('top failures (10, open)', topOpen, '< 20 ms', p50(topOpen) < 20);
    const search = await time(() => dlq.list({ errorText: 'order 4242' }, { pageSize: 20 }), 3);
    target('error-text search "order 4242", first page of 20', search, '< 50 ms', p50(search) < 50);
    const indexed = await time(() =>
      dlq.list({ where: [{ path: 'payload.customerId', value: 42 }] }, { pageSize: 20 }),
    );
    target('payload.customerId = 42 (indexed), first page of 20', indexed, '< 50 ms', p50(indexed) < 50);
    const stats = await time(() => dlq.stats());
    target('stats', stats, '< 5 ms', p50(stats) < 5);
    const first = await time(() => dlq.list({}, { pageSize: 20 }));
    target('list, first page of 20', first, '< 6 ms (as before)', p50(first) < 6);
    const facets = await time(() => dlq.facets());
    target('facets', facets, '< 6 ms (as before)', p50(facets) < 6);
    out.targets = Object.fromEntries(targets.map(([n, t, g, m]) => [n, { ...t, target: g, met: m }]));

    // ---- more list pages and filters ----------------------------------------------------------
    const list: Record<string, Timing> = {};
    const pending = (await dlq.list({ status: 'pending' }, { pageSize: 100 })).totalCount;
    const cases: [string, Parameters<typeof dlq.list>[0], number][] = [
      ['all', {}, ROWS],
      ['status=pending', { status: 'pending' }, pending],
      ['domain=payment,status=pending', { domain: 'payment', status: 'pending' }, Math.ceil(pending / 5)],
    ];
    for (const [name, filter, total] of cases) {
      const last = Math.max(1, Math.ceil(total / 100));
      list[`${name} size=100 first`] = await time(() => dlq.list(filter, { pageSize: 100 }));
      list[`${name} size=100 middle (page ${Math.ceil(last / 2)})`] = await time(
        () => dlq.list(filter, { pageSize: 100, page: Math.ceil(last / 2) }),
        3,
      );
    }
    const deep = (await store.listDeadLetters({ limit: 100, offset: Math.floor(ROWS / 2), withTotal: false }))
      .nextCursor;
    if (deep)
      list['all size=100 deep page by cursor'] = await time(() =>
        dlq.list({}, { pageSize: 100, cursor: deep }),
      );
    list['payload.orderId = 42 (undeclared: bounded scan)'] = await time(
      () => dlq.list({ where: [{ path: 'payload.orderId', value: 42 }] }, { pageSize: 20 }),
      3,
    );
    list['queue=payment first 20'] = await time(() => dlq.list({ queue: 'payment' }, { pageSize: 20 }));
    list['entityId=order-4242 first 20'] = await time(
      () => dlq.list({ entityId: 'order-4242' }, { pageSize: 20 }),
      3,
    );
    list['failureType=permanent first 20'] = await time(() =>
      dlq.list({ failureType: 'permanent' }, { pageSize: 20 }),
    );
    list['fingerprint=fp-7 first 20'] = await time(() => dlq.list({ fingerprint: 'fp-7' }, { pageSize: 20 }));
    list['facets status=pending'] = await time(() => dlq.facets({ status: 'pending' }));
    list['top failures queue=payment'] = await time(() => dlq.topFailures({ limit: 10, queue: 'payment' }));
    list['top failures errorText "order 4242" (bounded)'] = await time(
      () => dlq.topFailures({ limit: 10, errorText: 'order 4242' }),
      3,
    );
    out.list = list;

    // ---- store() ------------------------------------------------------------------------------
    const failure = (i: number) => ({
      domain: DEAD_LETTER_DOMAINS[i % DEAD_LETTER_DOMAINS.length]!,
      failureType: 'PG_TIMEOUT',
      entityType: 'order',
      entityId: i,
      userId: i % 5000,
      errorCode: 'E504',
      errorMessage: `gateway timeout for order ${i}`,
      payload: { orderId: i, amount: 12.5, card: { token: 'tok_123', last4: '4242' } },
      metadata: { attempt: 3 },
    });
    const throughput: Record<string, { records: number; recordsPerSec: number; recordsPerCpuSec: number }> =
      {};
    const measure = async (name: string, n: number, run: () => Promise<void>) => {
      const cpu = process.cpuUsage();
      start = performance.now();
      await run();
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      throughput[name] = {
        records: n,
        recordsPerSec: Math.round(n / seconds),
        recordsPerCpuSec: Math.round(n / ((used.user + used.system) / 1e6)),
      };
    };
    const sequential = REUSE ? 0 : Math.min(STORE_RECORDS, 5000);
    if (sequential > 0)
      await measure('store() one at a time', sequential, async () => {
        for (let i = 0; i < sequential; i++) await dlq.store(failure(i));
      });
    if (sequential > 0)
      await measure('store() bursts of 100', STORE_RECORDS, async () => {
        for (let done = 0; done < STORE_RECORDS; done += 100)
          await Promise.all(Array.from({ length: 100 }, (_, k) => dlq.store(failure(done + k))));
      });
    out.store = throughput;
    out.loadAtEnd = loadavg()[0];
  } finally {
    await dlq.close();
    await bench.remove(flag('keep'));
  }
  if (flag('json')) {
    console.log(JSON.stringify(out));
    return;
  }
  const loads = `load average ${Number(out.loadAtStart).toFixed(1)} at start, ${Number(out.loadAtEnd).toFixed(1)} at end, ${cpus().length} CPUs`;
  console.log(
    `redrive DLQ benchmark on ${KIND}: ${ROWS.toLocaleString('en')} dead letters, node ${out.node}, ${loads}`,
  );
  console.log(`fill: ${JSON.stringify(out.fill)}\n`);
  console.log(`| query (ms: p50 / p95 / max) | ${KIND} | target | met |`);
  console.log('| --- | --- | --- | --- |');
  for (const [name, t] of Object.entries(
    out.targets as Record<string, Timing & { target: string; met: boolean }>,
  ))
    console.log(`| ${name} | ${show(t)} | ${t.target} | ${t.met ? 'yes' : 'NO'} |`);
  for (const [name, t] of Object.entries(
    out.store as Record<string, { recordsPerSec: number; recordsPerCpuSec: number }>,
  ))
    console.log(
      `| ${name} | ${t.recordsPerSec} records/s, ${t.recordsPerCpuSec} per CPU-s | -10 % at most | see docs |`,
    );
  console.log('\nother queries (ms: p50 / p95 / max)');
  for (const [name, t] of Object.entries(out.list as Record<string, Timing>))
    console.log(`  ${name.padEnd(56)} ${show(t)}`);
}

await main();
