/**
 * The stores `bench/dlq.ts` measures, each filled through its bulk path (never one `store()` per
 * row) with the same records (dead-letter-records.ts) and the same status mix: 20 % resolved, 10 %
 * archived (rows whose number modulo 20 is 1-4 and 5-6), 5 % requires_review (7), the rest
 * pending. Every store declares `payload.customerId` as an indexed path where it has the option.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresStore, RedisStore, SqliteStore, type Store } from '../src/index.js';
import { makeDeadLetter } from './dead-letter-records.js';
import { adminQuery, benchPostgresUrl, freshSchemaName } from './postgres-db.js';
import { benchRedisUrl, deleteKeys } from './redis-db.js';

export type DlqStoreKind = 'sqlite' | 'redis' | 'postgres';

/** A store to measure, its filling and its removal. */
export interface DlqBenchStore {
  store: Store;
  /** Where it lives, for the report. */
  where: string;
  /** Fills it with `rows` dead letters; returns notes for the report (size, …). */
  seed(rows: number): Promise<Record<string, unknown>>;
  /** Closes the store and deletes its data (with `keep`, closes it and leaves the data). */
  remove(keep?: boolean): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const INDEXED = ['payload.customerId'];

/** The status a row gets in the mix (see the module comment). */
function mixStatus(i: number): 'pending' | 'resolved' | 'archived' | 'requires_review' {
  const r = (i + 1) % 20; // SQLite rowids and the PostgreSQL series start at 1
  if (r >= 1 && r <= 4) return 'resolved';
  if (r === 5 || r === 6) return 'archived';
  if (r === 7) return 'requires_review';
  return 'pending';
}

async function inBatches(
  rows: number,
  batch: number,
  parallel: number,
  fn: (first: number, n: number) => Promise<void>,
) {
  let next = 0;
  const lane = async () => {
    while (next < rows) {
      const first = next;
      const n = Math.min(batch, rows - first);
      next += n;
      await fn(first, n);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

function sqlite(reuse?: string): DlqBenchStore {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'redrive-bench-dlq-'));
  mkdirSync(dir, { recursive: true });
  // The same file as bench/dashboard-render.ts --keep <dir>, so one fill serves both.
  const path = join(dir, reuse ? 'dashboard.db' : 'dlq.db');
  const filled = existsSync(path);
  const store = new SqliteStore({ path, pollIntervalMs: 0, indexedPaths: INDEXED });
  return {
    store,
    where: path,
    async seed(rows) {
      if (filled) return { reused: path, databaseMb: Math.round(statSync(path).size / 1e6) };
      await inBatches(rows, 10_000, 1, (first, n) =>
        store
          .insertDeadLetters({
            deadLetters: Array.from({ length: n }, (_, k) => makeDeadLetter(first + k)),
            now: T0,
          })
          .then(() => undefined),
      );
      // Statuses set directly, as history would have; the triggers keep the counters right.
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
      return { databaseMb: Math.round(statSync(path).size / 1e6) };
    },
    async remove() {
      await store.close();
      if (!reuse) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redis(reuse?: string): DlqBenchStore {
  const url = benchRedisUrl();
  const prefix = reuse ?? `bench-dlq-${process.pid}`;
  const store = new RedisStore({ url, prefix, clock: 'caller', indexedPaths: INDEXED });
  return {
    store,
    where: `${url} (prefix ${prefix})`,
    async seed(rows) {
      if (reuse) {
        const n = await store.redis.zcard(store.keys.deadLetterAll);
        if (n > 0) return { reused: prefix, rows: n };
      }
      // The import script, 1000 records per call (two 500-record scripts: Redis is never held
      // long), two calls in flight.
      await inBatches(rows, 1000, 2, async (first, n) => {
        const deadLetters = Array.from({ length: n }, (_, k) => {
          const i = first + k;
          return {
            ...makeDeadLetter(i),
            ...(mixStatus(i) === 'requires_review' ? { initialStatus: 'requires_review' as const } : {}),
          };
        });
        await store.insertDeadLetters({ deadLetters, now: T0 });
      });
      // Resolved and archived through the store's own scripts (an audit entry per resolve).
      const ids = (want: (s: string) => boolean) => {
        const out: string[] = [];
        for (let i = 0; i < rows; i++) if (want(mixStatus(i))) out.push(makeDeadLetter(i).id);
        return out;
      };
      const closing = ids((s) => s === 'resolved' || s === 'archived');
      await inBatches(closing.length, 2000, 2, async (first, n) => {
        await store.resolveDeadLetters({ ids: closing.slice(first, first + n), actor: 'bench', now: T0 + 1 });
      });
      const archived = ids((s) => s === 'archived');
      await inBatches(archived.length, 2000, 1, async (first, n) => {
        const batch = archived.slice(first, first + n);
        await store.transitionDeadLetters({
          action: 'archive',
          now: T0 + 2,
          before: T0 + 2,
          limit: n,
          ids: batch,
        });
      });
      // New entries wait for the search indexes; the maintainer's backfill indexes them within
      // seconds in a deployment, here before anything is measured.
      while (!(await store.backfillDeadLetterCounters({ maxSteps: 200 })).done);
      const info = await store.redis.info('memory');
      return { usedMemoryMb: Math.round(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1e6) };
    },
    async remove(keep) {
      await store.close();
      if (keep || reuse) process.stderr.write(`-- kept: prefix ${prefix}\n`);
      else await deleteKeys(url, `{${prefix}}:*`);
    },
  };
}

function postgres(reuse?: string): DlqBenchStore {
  const url = benchPostgresUrl();
  const schema = reuse ?? freshSchemaName('dlq');
  const store = new PostgresStore({ url, schema });
  const s = `"${schema}"`;
  return {
    store,
    where: `${url} (schema ${schema})`,
    async seed(rows) {
      await store.ready();
      if (reuse) {
        const [row] = await store.pool
          .query(`SELECT count(*)::int AS n FROM ${s}.dead_letters`)
          .then((r) => r.rows);
        if (row.n > 0) return { reused: schema, rows: row.n };
      }
      // Server-side, in statements of 100 000 rows, the same records as makeDeadLetter(g - 1).
      for (let from = 1; from <= rows; from += 100_000) {
        const to = Math.min(rows, from + 99_999);
        await adminQuery(`
          INSERT INTO ${s}.dead_letters (id, queue, job_name, domain, failure_type, entity_type, entity_id, user_id,
            error_class, error_code, error_message, error_stack, fingerprint, fingerprint_version, payload, attempts,
            response_data, metadata, next_action_hint, recommended_action, worker_id, handler_version, status,
            max_replays, first_failed_at, dead_lettered_at, expires_at, updated_at, resolved_at, archived_at)
          SELECT 'dl_' || lpad((g - 1)::text, 8, '0'), d, 'process', d,
                 CASE WHEN (g - 1) % 7 = 0 THEN 'permanent' ELSE 'retries_exhausted' END, 'order', 'order-' || (g - 1),
                 'user-' || ((g - 1) % 5000), 'UpstreamError', 'E503', 'upstream returned 503 for order ' || (g - 1),
                 'UpstreamError: upstream returned 503 for order ' || (g - 1) || E'\\n    at call (client.ts:41:11)\\n    at handler (jobs/' || d || '.ts:17:5)',
                 'fp-' || ((g - 1) % 40), 1,
                 jsonb_build_object('orderId', g - 1, 'customerId', (g - 1) % 5000, 'amount', ((g - 1) % 997) + 0.5,
                   'items', jsonb_build_array(jsonb_build_object('sku', 'sku-' || ((g - 1) % 300), 'qty', 1))),
                 jsonb_build_array(jsonb_build_object('attempt', 1, 'outcome', 'failed', 'startedAt', ${T0}, 'endedAt', ${T0 + 5}, 'workerId', 'w1', 'message', '503')),
                 '{"status":503}'::jsonb, jsonb_build_object('region', CASE WHEN (g - 1) % 2 = 1 THEN 'eu' ELSE 'us' END),
                 'check the upstream, then replay', 'replay_when_healthy', 'w1', 'v1',
                 CASE WHEN g % 20 BETWEEN 1 AND 4 THEN 'resolved' WHEN g % 20 IN (5, 6) THEN 'archived'
                      WHEN g % 20 = 7 THEN 'requires_review' ELSE 'pending' END,
                 2, ${T0} + (g - 1) * 10, ${T0} + (g - 1) / 10, ${T0} + (g - 1) / 10 + 72 * 3600000, ${T0},
                 CASE WHEN g % 20 BETWEEN 1 AND 6 THEN ${T0} + (g - 1) / 10 END,
                 CASE WHEN g % 20 IN (5, 6) THEN ${T0} + (g - 1) / 10 END
            FROM generate_series(${from}, ${to}) AS g,
                 LATERAL (SELECT (ARRAY['payment','email','webhook','inventory','shipping'])[1 + (g - 1) % 5] AS d) AS dom`);
      }
      await adminQuery(`VACUUM ANALYZE ${s}.dead_letters`);
      return {};
    },
    async remove(keep) {
      await store.close();
      if (keep || reuse) process.stderr.write(`-- kept: schema ${schema}\n`);
      else await adminQuery(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    },
  };
}

/**
 * Opens a fresh store of the given kind, or with `reuse` (a directory for SQLite, a schema name
 * for PostgreSQL, a key prefix for Redis) the one filled by an earlier run, filled now if it is empty and kept afterwards.
 */
export function openDlqBenchStore(kind: DlqStoreKind, reuse?: string): DlqBenchStore {
  if (kind === 'redis') return redis(reuse);
  if (kind === 'postgres') return postgres(reuse);
  return sqlite(reuse);
}
