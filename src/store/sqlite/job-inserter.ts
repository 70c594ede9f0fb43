/**
 * Job insertion for the SQLite store: the fastest statement for each shape of batch. Uniform runs
 * (jobs differing only in payload, the usual bulk add) take one set-based INSERT; mixed runs take
 * multi-row VALUES; jobs with idempotency keys go one by one, since each may match an existing job.
 */
import type Database from 'better-sqlite3';
import type { InsertJobResult, NewJob } from '../job-store.js';
import { headersJson, sameJobAttributes } from '../new-job-batch.js';
import type { SqliteTransactions } from './transactions.js';

type Statement = Database.Statement<unknown[], unknown>;

/** Rows inserted per multi-row INSERT statement. */
const INSERT_CHUNK = 1000;
/** Rows per multi-row VALUES statement (13 bound values each). */
const VALUES_CHUNK = 200;
const INSERT_COLUMNS =
  '(queue, name, payload, state, priority, max_attempts, run_at, created_at, timeout_ms, backoff, idempotency_key, replay_of, headers)';
const INSERT_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Inserts jobs into `redrive_jobs`. */
export class JobInserter {
  private readonly stmt: InsertStatements;
  private readonly valuesStatements = new Map<number, Statement>();

  constructor(private readonly db: Database.Database) {
    this.stmt = prepareInsertStatements(db);
  }

  /**
   * Inserts `jobs` atomically through `tx`, and adds their queues to `knownQueues` once committed.
   * A single unkeyed job of a known queue is one statement: autocommit is already atomic and saves
   * BEGIN/COMMIT. Inside the application's own transaction the queue rows may still roll back, so
   * they are not cached then.
   */
  insertAtomically(
    jobs: readonly NewJob[],
    now: number,
    knownQueues: Set<string>,
    tx: SqliteTransactions,
  ): InsertJobResult[] {
    const run = () => this.insert(jobs, now, knownQueues);
    const inOuterTransaction = this.db.inTransaction;
    const results =
      jobs.length === 1 && jobs[0]?.idempotencyKey === null && knownQueues.has(jobs[0].queue)
        ? tx.read(run)
        : tx.write(run);
    if (!inOuterTransaction) for (const job of jobs) knownQueues.add(job.queue);
    return results;
  }

  /**
   * Inserts `jobs` in the caller's open transaction (or as one autocommit statement for a single
   * job). `knownQueues` are queues whose row already exists; others get one.
   */
  insert(jobs: readonly NewJob[], now: number, knownQueues: ReadonlySet<string>): InsertJobResult[] {
    // Queues are cached only once the insert committed (see insertAtomically): a failed batch rolls
    // its queue rows back too.
    let ensured: Set<string> | undefined;
    for (const job of jobs) {
      if (!knownQueues.has(job.queue) && !ensured?.has(job.queue)) {
        this.stmt.ensureQueue.run(job.queue);
        ensured ??= new Set();
        ensured.add(job.queue);
      }
    }
    const results: InsertJobResult[] = new Array(jobs.length);
    if (jobs.length === 1 && jobs[0]!.idempotencyKey === null) {
      const info = this.stmt.insertOne.run(...insertValues(jobs[0]!, now));
      results[0] = { id: String(info.lastInsertRowid), created: true };
      return results;
    }
    let start = 0;
    while (start < jobs.length) {
      // Runs of unkeyed jobs go through one set-based INSERT each; keyed jobs one by one (they may match).
      const job = jobs[start]!;
      if (job.idempotencyKey !== null) {
        results[start] = this.insertKeyed(job, now);
        start++;
        continue;
      }
      let end = start;
      while (end < jobs.length && end - start < INSERT_CHUNK && jobs[end]!.idempotencyKey === null) end++;
      const firstId = sameJobAttributes(jobs, start, end)
        ? this.insertUniformRun(jobs, start, end, now)
        : this.insertMixedRun(jobs, start, end, now);
      for (let i = start; i < end; i++) results[i] = { id: String(firstId + i - start), created: true };
      start = end;
    }
    return results;
  }

  /**
   * Jobs that differ only in payload (the usual bulk add) go in one statement that binds the
   * shared attributes once and reads the payloads from a JSON array of strings. Returns the first
   * new id: one INSERT appends rows with consecutive row ids (max(rowid) + 1 each), in input order.
   */
  private insertUniformRun(jobs: readonly NewJob[], start: number, end: number, now: number): number {
    const first = jobs[start]!;
    let batch = '[';
    for (let i = start; i < end; i++) batch += (i > start ? ',' : '') + JSON.stringify(jobs[i]!.payloadJson);
    const info = this.stmt.insertUniform.run({
      ...insertNamedValues(first, now),
      batch: `${batch}]`,
    });
    return Number(info.lastInsertRowid) - info.changes + 1;
  }

  /** Jobs with differing attributes go in multi-row VALUES statements of up to {@link VALUES_CHUNK} rows. */
  private insertMixedRun(jobs: readonly NewJob[], start: number, end: number, now: number): number {
    let firstId = -1;
    for (let chunkStart = start; chunkStart < end; chunkStart += VALUES_CHUNK) {
      const chunkEnd = Math.min(end, chunkStart + VALUES_CHUNK);
      const values: unknown[] = [];
      for (let i = chunkStart; i < chunkEnd; i++) values.push(...insertValues(jobs[i]!, now));
      const info = this.valuesInsert(chunkEnd - chunkStart).run(values);
      if (firstId < 0) firstId = Number(info.lastInsertRowid) - info.changes + 1;
    }
    return firstId;
  }

  private valuesInsert(rows: number): Statement {
    let stmt = this.valuesStatements.get(rows);
    if (!stmt) {
      const placeholders = new Array(rows).fill(INSERT_PLACEHOLDERS).join(', ');
      stmt = this.db.prepare(`INSERT INTO redrive_jobs ${INSERT_COLUMNS} VALUES ${placeholders}`);
      this.valuesStatements.set(rows, stmt);
    }
    return stmt;
  }

  private insertKeyed(job: NewJob, now: number): InsertJobResult {
    const info = this.stmt.insertKeyed.run(...insertValues(job, now));
    if (info.changes === 1) return { id: String(info.lastInsertRowid), created: true };
    const existing = this.stmt.findByKey.get(job.queue, job.idempotencyKey) as number;
    return { id: String(existing), created: false };
  }
}

function insertValues(job: NewJob, now: number): unknown[] {
  return [
    job.queue,
    job.name,
    job.payloadJson,
    job.runAt > now ? 'scheduled' : 'waiting',
    job.priority,
    job.maxAttempts,
    job.runAt,
    now,
    job.timeoutMs,
    job.backoff === null ? null : JSON.stringify(job.backoff),
    job.idempotencyKey,
    job.replayOf,
    headersJson(job),
  ];
}

function insertNamedValues(job: NewJob, now: number): Record<string, unknown> {
  return {
    queue: job.queue,
    name: job.name,
    state: job.runAt > now ? 'scheduled' : 'waiting',
    priority: job.priority,
    max_attempts: job.maxAttempts,
    run_at: job.runAt,
    created_at: now,
    timeout_ms: job.timeoutMs,
    backoff: job.backoff === null ? null : JSON.stringify(job.backoff),
    replay_of: job.replayOf,
    headers: headersJson(job),
  };
}

/** The insert statements, prepared once per connection. */
function prepareInsertStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql);
  return {
    insertOne: prepare(`INSERT INTO redrive_jobs ${INSERT_COLUMNS} VALUES ${INSERT_PLACEHOLDERS}`),
    insertUniform: prepare(
      `INSERT INTO redrive_jobs ${INSERT_COLUMNS}
     SELECT @queue, @name, value, @state, @priority, @max_attempts, @run_at, @created_at, @timeout_ms,
          @backoff, NULL, @replay_of, @headers
       FROM json_each(@batch) ORDER BY key`,
    ),
    insertKeyed: prepare(
      `INSERT INTO redrive_jobs ${INSERT_COLUMNS} VALUES ${INSERT_PLACEHOLDERS}
     ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
    ),
    findByKey: prepare('SELECT id FROM redrive_jobs WHERE queue = ? AND idempotency_key = ?').pluck(),
    ensureQueue: prepare('INSERT OR IGNORE INTO redrive_queues (name) VALUES (?)'),
  };
}

type InsertStatements = ReturnType<typeof prepareInsertStatements>;
