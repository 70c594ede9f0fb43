/**
 * Job insertion for the PostgreSQL store: one statement per call, whatever the batch size. Jobs
 * that differ only in payload (the usual bulk add) bind their shared attributes once and send the
 * payloads as one JSON array text; mixed batches send one array per column; both are `unnest`ed
 * server-side. Keyed jobs whose key exists are skipped by `ON CONFLICT DO NOTHING` and looked up
 * afterwards (one more statement, only when a key matched).
 */
import { ValidationError } from '../../core/errors.js';
import type { InsertJobResult, NewJob } from '../job-store.js';
import { headersJson, sameJobAttributes } from '../new-job-batch.js';
import type { PgQueryable, PostgresConnection } from './postgres-connection.js';

/**
 * The application's open transaction: a pg `Client`/`PoolClient` inside `BEGIN`, or a function
 * that runs a parameterized statement in it (Kysely, Drizzle and other query builders hand you one).
 */
export type PostgresTransaction =
  | PgQueryable
  | ((text: string, values: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>);

/** Checks a value is a {@link PostgresTransaction}. */
export function assertTransaction(value: unknown): PostgresTransaction {
  if (typeof value === 'function') return value as PostgresTransaction;
  if (typeof value === 'object' && value !== null && typeof (value as PgQueryable).query === 'function')
    return value as PgQueryable;
  throw new ValidationError(
    'client',
    'must be a pg client inside your transaction, or a function (sql, values) => Promise<{ rows }> running in it',
  );
}

type Row = { id: string; queue?: string; idempotency_key?: string | null };

/** Inserts jobs into `jobs` with one statement, in a transaction of the caller's when given. */
export class JobInserter {
  constructor(private readonly conn: PostgresConnection) {}

  async insert(
    jobs: readonly NewJob[],
    now: number,
    transaction?: PostgresTransaction,
  ): Promise<InsertJobResult[]> {
    for (let i = 0; i < jobs.length; i++) assertInsertable(jobs[i]!, i);
    if (!jobs.some((j) => j.idempotencyKey !== null) && sameJobAttributes(jobs) && jobs.every(splittable)) {
      const first = jobs[0]!;
      const [row] = await this.exec<{ first: string | null; n: number; ids: string | null }>(
        'insertUniform',
        [
          first.queue,
          first.name,
          first.priority,
          first.maxAttempts,
          first.runAt,
          first.timeoutMs,
          first.backoff === null ? null : JSON.stringify(first.backoff),
          first.replayOf,
          now,
          jobs.map((j) => j.payloadJson).join(RECORD_SEPARATOR),
          headersJson(first),
        ],
        transaction,
      );
      const ids = row?.ids ? row.ids.split(',') : idRange(row?.first ?? null, Number(row?.n ?? 0));
      if (ids.length !== jobs.length)
        throw new Error(`redrive: inserted ${ids.length} of ${jobs.length} jobs`);
      return ids.map((id) => ({ id, created: true }));
    }
    const rows = await this.exec<Row>(
      'insertJobs',
      [
        jobs.map((j) => j.queue),
        jobs.map((j) => j.name),
        jobs.map((j) => j.payloadJson),
        jobs.map((j) => j.priority),
        jobs.map((j) => j.maxAttempts),
        jobs.map((j) => j.runAt),
        jobs.map((j) => j.timeoutMs),
        jobs.map((j) => (j.backoff === null ? null : JSON.stringify(j.backoff))),
        jobs.map((j) => j.idempotencyKey),
        jobs.map((j) => j.replayOf),
        now,
        jobs.map(headersJson),
      ],
      transaction,
    );
    return this.matchResults(jobs, rows, transaction);
  }

  /**
   * One result per job, in input order: the created rows' ids in ascending order are the created
   * jobs in input order (one statement draws its ids in row order); a keyed job that was skipped,
   * or repeats a key earlier in the batch, gets the first job's id.
   */
  private async matchResults(
    jobs: readonly NewJob[],
    rows: Row[],
    transaction?: PostgresTransaction,
  ): Promise<InsertJobResult[]> {
    const createdKeys = new Set<string>();
    for (const row of rows)
      if (row.idempotency_key != null) createdKeys.add(keyOf(row.queue!, row.idempotency_key));
    const ids = sortedIds(rows);
    const results: InsertJobResult[] = new Array(jobs.length);
    const firstOfKey = new Map<string, number>();
    const missing: NewJob[] = [];
    let next = 0;
    jobs.forEach((job, i) => {
      if (job.idempotencyKey === null) {
        results[i] = { id: ids[next++]!, created: true };
        return;
      }
      const key = keyOf(job.queue, job.idempotencyKey);
      if (createdKeys.has(key) && !firstOfKey.has(key)) {
        firstOfKey.set(key, i);
        results[i] = { id: ids[next++]!, created: true };
      } else if (!createdKeys.has(key)) {
        missing.push(job);
      }
    });
    let existing = new Map<string, string>();
    if (missing.length > 0) {
      const found = await this.exec<Row>(
        'findByKeys',
        [missing.map((j) => j.queue), missing.map((j) => j.idempotencyKey)],
        transaction,
      );
      existing = new Map(found.map((r) => [keyOf(r.queue!, r.idempotency_key!), r.id]));
    }
    jobs.forEach((job, i) => {
      if (results[i] || job.idempotencyKey === null) return;
      const key = keyOf(job.queue, job.idempotencyKey);
      const first = firstOfKey.get(key);
      const id = first !== undefined ? results[first]!.id : existing.get(key);
      if (id === undefined) {
        throw new Error(
          `redrive: job with idempotency key ${JSON.stringify(job.idempotencyKey)} was neither inserted nor found (deleted concurrently?)`,
        );
      }
      results[i] = { id, created: false };
    });
    return results;
  }

  private async exec<R>(name: string, values: unknown[], transaction?: PostgresTransaction): Promise<R[]> {
    if (typeof transaction === 'function') {
      await this.conn.ready();
      const result = await transaction(this.conn.statement('jobs', name).text, values);
      return result.rows as R[];
    }
    return this.conn.run<R>('jobs', name, values, transaction);
  }
}

const keyOf = (queue: string, key: string) => `${queue}\u0000${key}`;

/** Joins the payloads of a uniform batch: JSON text escapes every control character it holds. */
const RECORD_SEPARATOR = '\u001e';

/** A payload the uniform insert can split back out: not empty and free of the separator. */
const splittable = (job: NewJob) => job.payloadJson !== '' && !job.payloadJson.includes(RECORD_SEPARATOR);

/** `n` consecutive ids from `first` (bigint text). */
function idRange(first: string | null, n: number): string[] {
  if (first === null) return [];
  const start = BigInt(first);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = String(start + BigInt(i));
  return ids;
}

function sortedIds(rows: readonly Row[]): string[] {
  return rows.map((r) => String(r.id)).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

function assertInsertable(job: NewJob, index: number): void {
  if (typeof job?.queue !== 'string' || job.queue === '')
    throw new ValidationError(`jobs[${index}].queue`, 'must be a non-empty string');
  if (typeof job.name !== 'string') throw new ValidationError(`jobs[${index}].name`, 'must be a string');
  if (typeof job.payloadJson !== 'string')
    throw new ValidationError(`jobs[${index}].payloadJson`, 'must be a JSON string');
}
