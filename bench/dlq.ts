/**
 * Dead-letter queue benchmark (standalone): `npx tsx bench/dlq.ts [--rows 1000000] [--json]`.
 *
 * Fills a fresh SQLite file (WAL, synchronous NORMAL) with dead letters spread over domains and
 * statuses, then measures, through the public `DeadLetterQueue` API:
 * - `list()`: the first page and deep pages (page numbers, i.e. offsets in the store), with and
 *   without filters, and a deep page reached by cursor;
 * - `facets()`;
 * - `store()` records/s, one awaited call at a time and in concurrent bursts (group commit).
 * Targets (issue 4): first page < 20 ms, any page < 50 ms, store() >= 20 000 records/s.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DeadLetterQueue, SqliteStore } from '../src/index.js';
import { DEAD_LETTER_DOMAINS, makeDeadLetter } from './dead-letter-records.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = option('rows', 1_000_000);
const STORE_RECORDS = option('store-records', 50_000);
const REPEAT = option('repeat', 15);

const DOMAINS = DEAD_LETTER_DOMAINS;
const deadLetter = makeDeadLetter;
const T0 = Date.UTC(2026, 0, 1);

function stats(samples: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[sorted.length - 1]!) };
}

async function time(
  fn: () => Promise<unknown>,
  repeat = REPEAT,
): Promise<{ p50: number; p95: number; max: number }> {
  await fn(); // warm the statement cache
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-bench-dlq-'));
  const path = join(dir, 'dlq.db');
  const store = new SqliteStore({ path, pollIntervalMs: 0, indexedPaths: ['payload.customerId'] });
  const dlq = new DeadLetterQueue({ store, fallbackPath: join(dir, 'fallback.jsonl') });
  const out: Record<string, unknown> = { rows: ROWS, node: process.version };
  try {
    // ---- fill ------------------------------------------------------------------------------
    const BATCH = 10_000;
    let start = performance.now();
    for (let first = 0; first < ROWS; first += BATCH) {
      const n = Math.min(BATCH, ROWS - first);
      await store.insertDeadLetters({
        deadLetters: Array.from({ length: n }, (_, k) => deadLetter(first + k)),
        now: T0,
      });
    }
    const fillSeconds = (performance.now() - start) / 1000;
    out.fill = { seconds: Math.round(fillSeconds * 10) / 10, rowsPerSec: Math.round(ROWS / fillSeconds) };
    // A realistic status mix: 20 % resolved, 10 % archived, 5 % requires_review (set directly, as
    // history would have; the triggers keep the counts table right).
    const raw = new Database(path);
    raw.pragma('busy_timeout = 5000');
    raw.exec(
      `UPDATE redrive_dead_letters SET status = 'resolved', resolved_at = dead_lettered_at WHERE rowid % 20 IN (1, 2, 3, 4)`,
    );
    raw.exec(
      `UPDATE redrive_dead_letters SET status = 'archived', archived_at = dead_lettered_at WHERE rowid % 20 IN (5, 6)`,
    );
    raw.exec(`UPDATE redrive_dead_letters SET status = 'requires_review' WHERE rowid % 20 = 7`);
    raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    raw.close();
    out.databaseMb = Math.round(statSync(path).size / 1e6);

    // ---- list ------------------------------------------------------------------------------
    const lastPage = (total: number, size: number) => Math.max(1, Math.ceil(total / size));
    const pending = (await dlq.list({ status: 'pending' }, { pageSize: 100 })).totalCount;
    const payment = (await dlq.list({ domain: 'payment' }, { pageSize: 100 })).totalCount;
    const paymentPending = (await dlq.list({ domain: 'payment', status: 'pending' }, { pageSize: 100 }))
      .totalCount;
    const list: Record<string, unknown> = {};
    const cases: [string, Parameters<typeof dlq.list>[0], number][] = [
      ['all', {}, ROWS],
      ['status=pending', { status: 'pending' }, pending],
      ['domain=payment', { domain: 'payment' }, payment],
      ['domain=payment,status=pending', { domain: 'payment', status: 'pending' }, paymentPending],
    ];
    for (const [name, filter, total] of cases) {
      for (const pageSize of [20, 100]) {
        const last = lastPage(total, pageSize);
        list[`${name} size=${pageSize} first`] = await time(() => dlq.list(filter, { pageSize }));
        list[`${name} size=${pageSize} middle (page ${Math.ceil(last / 2)})`] = await time(() =>
          dlq.list(filter, { pageSize, page: Math.ceil(last / 2) }),
        );
        list[`${name} size=${pageSize} last (page ${last})`] = await time(() =>
          dlq.list(filter, { pageSize, page: last }),
        );
      }
    }
    // A deep page by cursor: the cursor at the middle of the table, then the page after it.
    const deepCursor = (
      await store.listDeadLetters({ limit: 100, offset: Math.floor(ROWS / 2), withTotal: false })
    ).nextCursor!;
    list['all size=100 deep page by cursor'] = await time(() =>
      dlq.list({}, { pageSize: 100, cursor: deepCursor }),
    );
    list['payload.customerId = 42, size=20 first (declared path: index)'] = await time(() =>
      dlq.list({ where: [{ path: 'payload.customerId', value: 42 }] }, { pageSize: 20 }),
    );
    list['payload.orderId = 42, size=20 first (undeclared: bounded scan)'] = await time(
      () => dlq.list({ where: [{ path: 'payload.orderId', value: 42 }] }, { pageSize: 20 }),
      3,
    );
    list['errorText "order 4242" size=20 first (FTS5 trigram)'] = await time(() =>
      dlq.list({ errorText: 'order 4242' }, { pageSize: 20 }),
    );
    list['queue=payment size=20 first'] = await time(() => dlq.list({ queue: 'payment' }, { pageSize: 20 }));
    list['entityId=order-4242 size=20 first'] = await time(() =>
      dlq.list({ entityId: 'order-4242' }, { pageSize: 20 }),
    );
    list['failureType=permanent size=20 first'] = await time(() =>
      dlq.list({ failureType: 'permanent' }, { pageSize: 20 }),
    );
    list['fingerprint=fp-7 size=20 first'] = await time(() =>
      dlq.list({ fingerprint: 'fp-7' }, { pageSize: 20 }),
    );
    out.list = list;

    // ---- facets ----------------------------------------------------------------------------
    out.facets = {
      all: await time(() => dlq.facets()),
      'status=pending': await time(() => dlq.facets({ status: 'pending' })),
      'domain=payment': await time(() => dlq.facets({ domain: 'payment' })),
    };
    out.other = {
      stats: await time(() => dlq.stats(), 5),
      'topFailures (open, from counters)': await time(() =>
        store.topDeadLetterFailures({ limit: 10, statuses: ['pending', 'requires_review'] }),
      ),
      'topFailures queue=payment (counters)': await time(() =>
        store.topDeadLetterFailures({ limit: 10, queue: 'payment' }),
      ),
      'topFailures errorText "order 4242" (bounded)': await time(
        () => store.topDeadLetterFailures({ limit: 10, errorText: 'order 4242' }),
        3,
      ),
    };

    // ---- store() ---------------------------------------------------------------------------
    const failure = (i: number) => ({
      domain: DOMAINS[i % DOMAINS.length]!,
      failureType: 'PG_TIMEOUT',
      entityType: 'order',
      entityId: i,
      userId: i % 5000,
      errorCode: 'E504',
      errorMessage: `gateway timeout for order ${i}`,
      payload: { orderId: i, amount: 12.5, card: { token: 'tok_123', last4: '4242' } },
      metadata: { attempt: 3 },
    });
    const storeResults: Record<string, unknown> = {};
    // One awaited call at a time: one transaction per record.
    const sequential = Math.min(STORE_RECORDS, 20_000);
    start = performance.now();
    for (let i = 0; i < sequential; i++) await dlq.store(failure(i));
    let seconds = (performance.now() - start) / 1000;
    storeResults['sequential (await each)'] = {
      records: sequential,
      recordsPerSec: Math.round(sequential / seconds),
    };
    // Concurrent producers: calls in the same tick share one group commit.
    for (const burst of [10, 100, 1000]) {
      start = performance.now();
      for (let done = 0; done < STORE_RECORDS; done += burst) {
        await Promise.all(Array.from({ length: burst }, (_, k) => dlq.store(failure(done + k))));
      }
      seconds = (performance.now() - start) / 1000;
      storeResults[`concurrent bursts of ${burst}`] = {
        records: STORE_RECORDS,
        recordsPerSec: Math.round(STORE_RECORDS / seconds),
      };
    }
    // Fire-and-forget.
    start = performance.now();
    for (let i = 0; i < STORE_RECORDS; i++) void dlq.store(failure(i), { mode: 'async' });
    await dlq.flush();
    seconds = (performance.now() - start) / 1000;
    storeResults['fire-and-forget (async mode)'] = {
      records: STORE_RECORDS,
      recordsPerSec: Math.round(STORE_RECORDS / seconds),
    };
    out.store = storeResults;
    out.metrics = dlq.metrics();
  } finally {
    await dlq.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (flag('json')) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`redrive DLQ benchmark: ${ROWS.toLocaleString('en')} dead letters, ${out.node}`);
  console.log(`fill: ${JSON.stringify(out.fill)}  database: ${out.databaseMb} MB`);
  for (const section of ['list', 'facets', 'other', 'store'] as const) {
    console.log(`\n${section} (ms: p50 / p95 / max; store: records/s)`);
    for (const [name, value] of Object.entries(out[section] as Record<string, Record<string, number>>)) {
      const text =
        'p50' in value ? `${value.p50} / ${value.p95} / ${value.max}` : `${value.recordsPerSec} records/s`;
      console.log(`  ${name.padEnd(62)} ${text}`);
    }
  }
}

await main();
