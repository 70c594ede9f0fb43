/**
 * The SQLite connection side of the dead-letter store: the declared JSON-path indexes, the prepared
 * statements, and the transaction wrappers (write: `BEGIN IMMEDIATE`; snapshot: one deferred read
 * transaction; read: autocommit), each translating SQLite failures into typed errors.
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';
import { isJsonField, JSON_FIELD_COLUMNS } from '../shared/json-filter.js';
import { jsonPathExpression } from './dead-letter-filter.js';
import { ADD_GROUP_COUNT_SQL, INSERT_FINGERPRINT_SQL } from './dead-letter-groups.js';
import { DeadLetterMessages } from './dead-letter-messages.js';
import {
  DEAD_LETTER_SELECT,
  type DeadLetterRow,
  INSERT_AUDIT_SQL,
  INSERT_DEAD_LETTER_SQL,
} from './dead-letter-rows.js';
import { DeadLetterStacks } from './dead-letter-stacks.js';
import type { SqliteStatement } from './statement.js';
import { SqliteTransactions } from './transactions.js';

/** A prepared statement. */
export type Statement = Database.Statement<unknown[], unknown>;

/**
 * The expression index of a declared JSON path (`payload.customerId`): the path's value, then
 * dead-letter time, so an equality filter on the path reads its first page in index order.
 *
 * @throws ValidationError naming `indexedPaths` for a path that is not `<field>.<dotted path>`
 */
export function indexedPathSql(declared: string): string {
  const dot = typeof declared === 'string' ? declared.indexOf('.') : -1;
  const field = dot < 0 ? '' : declared.slice(0, dot);
  if (!isJsonField(field)) {
    throw new ValidationError(
      'indexedPaths',
      `${JSON.stringify(declared)} must start with one of ${Object.keys(JSON_FIELD_COLUMNS).join(', ')} and name a field, e.g. payload.customerId`,
    );
  }
  const expression = jsonPathExpression(JSON_FIELD_COLUMNS[field], declared.slice(dot + 1), true, []);
  const name = `redrive_dead_letters_path_${createHash('sha256').update(declared).digest('hex').slice(0, 12)}`;
  return `CREATE INDEX IF NOT EXISTS ${name} ON redrive_dead_letters (${expression}, dead_lettered_at DESC)`;
}

/** One connection's dead-letter schema, statements and transaction wrappers. */
export class DeadLetterConnection {
  readonly db: Database.Database;
  readonly stmt: DeadLetterStatements;
  /** The distinct error messages (each stored and text-indexed once). */
  readonly messages: DeadLetterMessages;
  /** The distinct stack frames (each stored once). */
  readonly stacks: DeadLetterStacks;
  private readonly tx: SqliteTransactions;
  private readonly listStatements = new Map<string, Statement>();
  private readonly rowidStatements = new Map<number, Statement>();

  /**
   * Creates the declared JSON-path indexes and prepares statements (the schema is migrated when the
   * connection opens, see migrate.ts). A read-only connection (`migrate: false`, e.g. on a reader thread) only prepares statements.
   */
  constructor(
    db: Database.Database,
    options: {
      path: string;
      isClosed?: () => boolean;
      /** Called after each committed write transaction (the store's WAL checkpointer counts them). */
      afterWrite?: () => void;
      migrate?: boolean;
      indexedPaths?: readonly string[];
    },
  ) {
    this.db = db;
    this.tx = new SqliteTransactions(db, options.path, options.isClosed ?? (() => false), options.afterWrite);
    if (options.migrate !== false) this.indexPaths(options.indexedPaths ?? []);
    this.stmt = prepareStatements(db);
    this.messages = new DeadLetterMessages(db);
    this.stacks = new DeadLetterStacks(db);
  }

  /** Creates the expression indexes of the declared JSON paths (the schema itself is migrate.ts's). */
  private indexPaths(indexedPaths: readonly string[]): void {
    if (indexedPaths.length === 0) return;
    this.db
      .transaction(() => {
        for (const path of indexedPaths) this.db.exec(indexedPathSql(path));
      })
      .immediate();
  }

  /** Runs `fn` in a write transaction (`BEGIN IMMEDIATE`). */
  write<T>(fn: () => T): T {
    return this.tx.write(fn);
  }

  /** Runs reads in one deferred transaction (one consistent snapshot). */
  snapshot<T>(fn: () => T): T {
    return this.tx.snapshot(fn);
  }

  /** Runs reads in autocommit. */
  read<T>(fn: () => T): T {
    return this.tx.read(fn);
  }

  getRow(id: string): DeadLetterRow | undefined {
    return this.stmt.get.get(id) as DeadLetterRow | undefined;
  }

  /** `SELECT ... WHERE rowid IN (?, ...)` for `n` ids, returning raw rows (cached per size). */
  byRowids(n: number): Statement {
    let stmt = this.rowidStatements.get(n);
    if (!stmt) {
      stmt = this.db
        .prepare(
          `SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE rowid IN (${new Array(n).fill('?').join(', ')})`,
        )
        .raw();
      this.rowidStatements.set(n, stmt);
    }
    return stmt;
  }

  prepared(sql: string): Statement {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.listStatements.size > 200) this.listStatements.clear();
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }
}

/** Prepares the dead-letter statements of a connection (typed by name, so a missing one fails to compile). */
function prepareStatements(db: Database.Database) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    insert: p(INSERT_DEAD_LETTER_SQL),
    insertAudit: p(INSERT_AUDIT_SQL),
    regroup: p('UPDATE redrive_dead_letters SET fingerprint = ?, fingerprint_version = ? WHERE id = ?'),
    get: p(`SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE id = ?`),
    getByJob: p(`SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE job_id = ?`),
    jobReplayOf: p('SELECT replay_of FROM redrive_jobs WHERE id = ?').pluck(),
    ledger: p('SELECT replay_count, max_replays FROM redrive_dead_letters WHERE id = ?'),
    byIds: p(
      `SELECT ${DEAD_LETTER_SELECT} FROM redrive_dead_letters WHERE id IN (SELECT value FROM json_each(?))`,
    ),
    acquire: p(
      `UPDATE redrive_dead_letters
          SET status = 'replaying', generation = generation + 1, replay_count = replay_count + 1,
              max_replays = @maxReplays, replay_started_at = @now, updated_at = @now
        WHERE id = @id RETURNING ${DEAD_LETTER_SELECT}`,
    ),
    finish: p(
      `UPDATE redrive_dead_letters
          SET status = @status, generation = generation + 1, last_replay_at = @now, updated_at = @now,
              last_replay_error = @error, replay_job_id = COALESCE(@replayJobId, replay_job_id),
              resolved_at = CASE WHEN @status = 'resolved' THEN @now ELSE resolved_at END,
              resolved_by = CASE WHEN @status = 'resolved' THEN @resolvedBy ELSE resolved_by END,
              resolution_note = CASE WHEN @status = 'resolved' THEN @note ELSE resolution_note END
        WHERE id = @id RETURNING ${DEAD_LETTER_SELECT}`,
    ),
    resolve: p(
      `UPDATE redrive_dead_letters
          SET status = 'resolved', generation = generation + 1, resolved_at = @now, resolved_by = @actor,
              resolution_note = @note, updated_at = @now
        WHERE id = @id`,
    ),
    expire: p(
      `UPDATE redrive_dead_letters SET status = 'expired', generation = generation + 1, updated_at = @now
        WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                         WHERE status IN ('pending', 'requires_review') AND expires_at <= @now
                           AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                         LIMIT @limit)
        RETURNING id`,
    ).pluck(),
    archive: p(
      `UPDATE redrive_dead_letters
          SET status = 'archived', generation = generation + 1, archived_at = @now, updated_at = @now
        WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                         WHERE status IN ('resolved', 'expired') AND updated_at < @before
                           AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                         LIMIT @limit)
        RETURNING id`,
    ).pluck(),
    releaseStuck: p(
      `UPDATE redrive_dead_letters
          SET status = CASE WHEN replay_count >= max_replays THEN 'requires_review' ELSE 'pending' END,
              generation = generation + 1, updated_at = @now, last_replay_at = @now,
              last_replay_error = 'the replay was interrupted (the replaying process stopped before finishing)'
        WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                         WHERE status = 'replaying' AND replay_started_at < @before LIMIT @limit)
        RETURNING id`,
    ).pluck(),
    purge: p(
      `DELETE FROM redrive_dead_letters
        WHERE rowid IN (SELECT rowid FROM redrive_dead_letters
                         WHERE status = 'archived' AND updated_at < COALESCE(@before, 9007199254740991)
                           AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
                         LIMIT @limit)
        RETURNING id`,
    ).pluck(),
    addTally: p(
      `INSERT INTO redrive_dead_letter_tally (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    ),
    tally: p('SELECT value FROM redrive_dead_letter_tally WHERE name = ?').pluck(),
    addGroupCount: p(ADD_GROUP_COUNT_SQL),
    upsertFingerprint: p(INSERT_FINGERPRINT_SQL),
    byQueue: p(
      "SELECT queue, SUM(n) AS n FROM redrive_dead_letter_groups WHERE queue <> '' GROUP BY queue HAVING SUM(n) > 0",
    ),
    addCount: p(
      `INSERT INTO redrive_dead_letter_counts (domain, status, n) VALUES (?, ?, ?)
         ON CONFLICT (domain, status) DO UPDATE SET n = n + excluded.n`,
    ),
    counts: p('SELECT domain, status, n FROM redrive_dead_letter_counts WHERE n > 0'),
    oldestPending: p(
      "SELECT MIN(dead_lettered_at) FROM redrive_dead_letters WHERE status = 'pending'",
    ).pluck(),
    // Pending entries at their cap are rare and have their own partial index; replayable = pending - those.
    pendingAtCap: p(
      "SELECT COUNT(*) FROM redrive_dead_letters WHERE status = 'pending' AND replay_count >= max_replays",
    ).pluck(),
    // Counted up to a limit (DUE_FOR_EXPIRY_COUNT_CAP + 1): stats stays cheap however many are due.
    dueForExpiry: p(
      `SELECT COUNT(*) FROM (SELECT 1 FROM redrive_dead_letters
        WHERE status IN ('pending', 'requires_review') AND expires_at <= ? LIMIT ?)`,
    ).pluck(),
  };
}

/** The prepared dead-letter statements of one connection. */
export type DeadLetterStatements = ReturnType<typeof prepareStatements>;
