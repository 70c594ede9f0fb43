/**
 * SQLite instructions per dead letter stored through `DeadLetterQueue.store()`, counted by
 * callgrind inside `sqlite3_step` (every statement and the commit; the load of the machine does not
 * change the count, unlike timings on a busy host):
 *
 *   npx tsx bench/dlq-store-instructions.ts seed <dir> [--count 100000] [--indexed]
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=sqlite3_step \
 *     --callgrind-out-file=<out> node --import tsx bench/dlq-store-instructions.ts store <dir> [--records 3000] [--indexed]
 *
 * `seed` fills `<dir>/seed.db` with `--count` records (dead-letter-records.ts: five domains, forty
 * fingerprints; 20 % resolved, 10 % archived, 5 % requires_review) outside valgrind. `store` copies
 * it and stores `--records` failures in bursts of 100 (every message distinct, five domains, no
 * queue, as `bench/dlq.ts` does), automatic checkpoints off. Run `store` with two record counts and
 * divide the difference of the totals by the difference of the counts: opening the store and its
 * first statements then cancel out. Take multiples of 2,000 (the text-index batch), e.g. 2,000 and
 * 4,000, so that each run indexes all the messages it queues. `--indexed` declares
 * `payload.customerId` (an expression index).
 *
 * For the whole process, run `store` without the toggle and with `--separate-threads=yes`, and
 * leave out the thread that runs `node::worker::Worker::Run` (tsx's module loader: its count does
 * not follow the records stored but whether its cache was warm, tens of thousands of instructions
 * per record in a window of 2,000). V8's background threads (`DefaultJobWorker::Run`: optimizing
 * compiles, parallel scavenges) vary by thousands per record between runs, and the error-text
 * index merges its segments in single steps of tens of millions of instructions, so take windows of
 * 10,000 records or more and say whether a merge fell inside (`fts5IndexMerge`).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DeadLetterQueue, SqliteStore } from '../src/index.js';
import { DEAD_LETTER_DOMAINS, makeDeadLetter } from './dead-letter-records.js';

const [mode, dir] = process.argv.slice(2);
const args = process.argv.slice(4);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const indexedPaths = args.includes('--indexed') ? ['payload.customerId'] : [];
if ((mode !== 'seed' && mode !== 'store') || !dir) {
  throw new Error('usage: dlq-store-instructions.ts seed|store <dir> [--count N] [--records N] [--indexed]');
}

function open(path: string): { db: Database.Database; store: SqliteStore } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  return { db, store: new SqliteStore({ database: db, pollIntervalMs: 0, indexedPaths }) };
}

async function seed(): Promise<void> {
  mkdirSync(dir!, { recursive: true });
  const path = join(dir!, 'seed.db');
  if (existsSync(path)) rmSync(path);
  const { db, store } = open(path);
  const count = Number(option('count', '100000'));
  for (let first = 0; first < count; first += 10_000) {
    const n = Math.min(10_000, count - first);
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: n }, (_, k) => makeDeadLetter(first + k)),
      now: Date.UTC(2026, 0, 1),
    });
  }
  db.exec(`UPDATE redrive_dead_letters SET status = 'resolved', resolved_at = dead_lettered_at WHERE rowid % 20 IN (1, 2, 3, 4);
    UPDATE redrive_dead_letters SET status = 'archived', archived_at = dead_lettered_at WHERE rowid % 20 IN (5, 6);
    UPDATE redrive_dead_letters SET status = 'requires_review' WHERE rowid % 20 = 7;`);
  await store.close();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`seeded ${count} into ${path}`);
}

async function storeRecords(): Promise<void> {
  const path = join(dir!, `run-${process.pid}.db`);
  copyFileSync(join(dir!, 'seed.db'), path);
  const { db, store } = open(path);
  const dlq = new DeadLetterQueue({ store, fallbackPath: join(dir!, `fallback-${process.pid}.jsonl`) });
  const records = Number(option('records', '3000'));
  const failure = (i: number) => ({
    domain: DEAD_LETTER_DOMAINS[i % DEAD_LETTER_DOMAINS.length]!,
    failureType: 'PG_TIMEOUT',
    entityType: 'order',
    entityId: i,
    userId: i % 5000,
    errorCode: 'E504',
    errorMessage: `gateway timeout for order ${i}`,
    payload: { orderId: i, customerId: i % 5000, amount: 12.5 },
    metadata: { attempt: 3 },
  });
  for (let done = 0; done < records; done += 100)
    await Promise.all(Array.from({ length: 100 }, (_, k) => dlq.store(failure(done + k))));
  await dlq.close();
  await store.close();
  db.close();
  for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
  console.log(`stored ${records}`);
}

await (mode === 'seed' ? seed() : storeRecords());
