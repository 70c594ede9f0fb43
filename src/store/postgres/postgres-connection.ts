/**
 * The PostgreSQL store's connection side: the pool (its own, made from a URL, or the
 * application's), the lazy schema migration every call waits for, the named statements of the
 * `.sql` files prepared once per connection, transactions, and translation of connection failures
 * into typed errors.
 */
import pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import { storeClosedError } from '../shared/closed.js';
import { DEAD_LETTER_INSERT_COLUMNS, deadLetterInsertValues } from './dead-letter-rows.js';
import { latestSchemaVersion, migrateSchema } from './migrate.js';
import { translatePgError } from './postgres-errors.js';
import { assertSchemaName, DEFAULT_SCHEMA, redactPostgresUrl } from './postgres-url.js';
import { bindSchema, fitIdentifier, loadStatements } from './sql-files.js';

/** Something that runs a query: a pg `Pool`, `Client` or `PoolClient`. */
export interface PgQueryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** The connection options shared with {@link PostgresStoreOptions}. */
export interface PostgresConnectionOptions {
  url?: string;
  pool?: pg.Pool;
  schema?: string;
  poolSize?: number;
  migrate?: boolean;
  preparedStatements?: boolean;
  queryTimeoutMs?: number;
}

/** The default bound on one statement's round trip, and on getting a connection from the pool. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** bigint (int8) and numeric columns as numbers: times, ids and counts all fit in a double. */
const NUMERIC_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * BEGIN of one of the store's transactions, with the settings that end with it (SET LOCAL, sent in
 * the same message: no extra round trip, and nothing left on a connection PgBouncer shares).
 * `statement_timeout` makes the server give up a statement when the client does
 * (`queryTimeoutMs`): a backend waiting for a lock does not notice that its client has gone, and
 * would otherwise keep waiting, then take the locks and hold its connection slot. It is not a
 * startup parameter, which PgBouncer refuses by default. With `genericPlans`, statements are
 * planned generically.
 */
function beginText(timeoutMs: number | undefined, genericPlans: boolean): string {
  let text = timeoutMs === undefined ? 'BEGIN' : `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}`;
  if (genericPlans) text += '; SET LOCAL plan_cache_mode = force_generic_plan';
  return text;
}

/** Schemas known to be current, per pool: further stores on the same pool skip the check. */
const migratedSchemas = new WeakMap<pg.Pool, Set<string>>();

/** The default number of pooled connections. */
export const DEFAULT_POOL_SIZE = 10;

/** One store's pool, schema and statements. */
export class PostgresConnection {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Where the store points, for messages (no password). */
  readonly location: string;
  private readonly ownsPool: boolean;
  private readonly applyMigrations: boolean;
  private readonly prepare: boolean;
  private readonly queryTimeoutMs: number;
  /**
   * The server-side bound of the store's transactions: `queryTimeoutMs` on the store's own pool,
   * or on a pool of the application's when `queryTimeoutMs` was given; otherwise that pool's own
   * `statement_timeout` applies.
   */
  private readonly serverTimeoutMs: number | undefined;
  private readonly statements = new Map<string, { text: string; name: string }>();
  private readiness: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresConnectionOptions) {
    this.schema = assertSchemaName(options.schema ?? DEFAULT_SCHEMA);
    this.applyMigrations = options.migrate ?? true;
    this.prepare = options.preparedStatements ?? true;
    const timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 2_147_483_647)
      throw new ValidationError('queryTimeoutMs', 'must be a positive integer of milliseconds');
    this.queryTimeoutMs = timeout;
    this.serverTimeoutMs = options.pool && options.queryTimeoutMs === undefined ? undefined : timeout;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
      const o = options.pool.options as { host?: string; database?: string; connectionString?: string };
      this.location = o.connectionString
        ? redactPostgresUrl(o.connectionString)
        : `${o.host ?? 'localhost'}/${o.database ?? ''}`;
    } else {
      const url = options.url ?? process.env.DATABASE_URL;
      if (typeof url !== 'string' || url === '') {
        throw new ValidationError('url', 'a postgres:// URL or a pg Pool is required');
      }
      const size = options.poolSize ?? DEFAULT_POOL_SIZE;
      if (!Number.isInteger(size) || size < 1)
        throw new ValidationError('poolSize', 'must be a positive integer');
      // Bounded waits for a connection, and keep-alives, so that a server cut off without a reset
      // (a partition, a dead host) fails calls instead of holding them until TCP gives up.
      this.pool = new pg.Pool({
        connectionString: url,
        max: size,
        connectionTimeoutMillis: timeout,
        keepAlive: true,
      });
      // An idle pooled connection that drops is replaced on the next checkout; the error is not fatal.
      this.pool.on('error', () => {});
      this.ownsPool = true;
      this.location = redactPostgresUrl(url);
    }
    this.location += ` (schema ${this.schema})`;
  }

  /** The connection settings of the pool, to open a dedicated connection (LISTEN) with. */
  get clientConfig(): pg.ClientConfig {
    return this.pool.options as pg.ClientConfig;
  }

  /** Waits for the schema to be migrated (once per store; the first call starts it). */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(storeClosedError('PostgreSQL', this.location));
    if (!this.readiness && migratedSchemas.get(this.pool)?.has(this.schema))
      this.readiness = Promise.resolve();
    if (!this.readiness) {
      const started = this.migrate().then(
        () => undefined,
        (error: unknown) => {
          this.readiness = undefined;
          throw error;
        },
      );
      this.readiness = started;
    }
    return this.readiness;
  }

  /** Applies pending migrations (or, with `migrate: false`, checks the schema is current). */
  async migrate(): Promise<{ from: number; to: number; applied: string[] }> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePgError(error, 'connect', this.location);
    }
    try {
      const result = await migrateSchema(client, this.schema, { apply: this.applyMigrations });
      let schemas = migratedSchemas.get(this.pool);
      if (!schemas) {
        schemas = new Set();
        migratedSchemas.set(this.pool, schemas);
      }
      schemas.add(this.schema);
      return result;
    } catch (error) {
      throw translatePgError(error, 'migrate', this.location);
    } finally {
      client.release();
    }
  }

  /** The schema version this code expects. */
  get schemaVersion(): number {
    return latestSchemaVersion();
  }

  /** The SQL of a named statement in `sql/<file>.sql`, bound to the store's schema. */
  statement(file: string, name: string): { text: string; name: string } {
    const key = `${file}.${name}`;
    let stmt = this.statements.get(key);
    if (!stmt) {
      const raw = loadStatements(file).get(name);
      if (raw === undefined) throw new Error(`redrive: no statement ${name} in sql/${file}.sql`);
      // The file is part of the name: two files may both have, say, an `acquire` statement.
      stmt = {
        text: expandMacros(bindSchema(raw, this.schema)),
        name: fitIdentifier(`redrive_${this.schema}_${file}_${name}`),
      };
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  /** Runs a named statement of `sql/<file>.sql` (prepared once per connection). */
  async run<R>(file: string, name: string, values: unknown[], client?: PgQueryable): Promise<R[]> {
    const stmt = this.statement(file, name);
    return this.query<R>(name, stmt.text, values, client, this.prepare ? stmt.name : undefined);
  }

  /** Runs a query on `client` (default: the pool), after the schema is ready. */
  async query<R>(
    what: string,
    text: string,
    values: unknown[] = [],
    client?: PgQueryable,
    name?: string,
  ): Promise<R[]> {
    await this.ready();
    try {
      const config: pg.QueryConfig = this.bounded({ text, values, types: NUMERIC_TYPES });
      if (name) config.name = name;
      const result = await (client ?? this.pool).query(config);
      return result.rows as R[];
    } catch (error) {
      throw translatePgError(error, what, this.location);
    }
  }

  /**
   * Runs `fn` in a transaction on one pooled connection; rolls back if it throws. With
   * `genericPlans`, the transaction's statements are planned generically (one setting sent with
   * BEGIN, no extra round trip): batch writes by id whose first executions on a connection would
   * otherwise be planned for their values, and, with statistics that saw no active job, scan every
   * active job instead of looking the batch up by primary key (see migration 0009).
   */
  async transaction<T>(
    what: string,
    fn: (client: pg.PoolClient) => Promise<T>,
    options: { genericPlans?: boolean } = {},
  ): Promise<T> {
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePgError(error, what, this.location);
    }
    let broken = false;
    try {
      await client.query(
        this.bounded({ text: beginText(this.serverTimeoutMs, options.genericPlans ?? false) }),
      );
      const result = await fn(client);
      await client.query(this.bounded({ text: 'COMMIT' }));
      return result;
    } catch (error) {
      // A statement that timed out may still be running on this connection: it is dropped, and the
      // server rolls back the transaction when it sees the connection go.
      if (isReadTimeout(error)) broken = true;
      else {
        try {
          await client.query(this.bounded({ text: 'ROLLBACK' }));
        } catch {
          broken = true;
        }
      }
      throw translatePgError(error, what, this.location);
    } finally {
      client.release(broken);
    }
  }

  /**
   * `config` with the store's bound on its round trip: a statement sent into a connection that no
   * longer answers fails after `queryTimeoutMs` (its outcome unknown) instead of never settling.
   * Migrations run unbounded (an index build may take long).
   */
  private bounded(config: pg.QueryConfig): pg.QueryConfig {
    return { ...config, query_timeout: this.queryTimeoutMs } as pg.QueryConfig;
  }

  /** Ends the pool if the store made it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readiness?.catch(() => undefined);
    if (this.ownsPool) await this.pool.end();
  }
}

/** Whether pg gave up waiting for a statement's reply (`query_timeout`). */
function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

/** Expands the column lists a statement names by macro (`DEAD_LETTER_INSERT_COLUMNS`, `..._VALUES`). */
function expandMacros(sql: string): string {
  return sql
    .replace(/DEAD_LETTER_INSERT_COLUMNS/g, DEAD_LETTER_INSERT_COLUMNS)
    .replace(/DEAD_LETTER_INSERT_VALUES/g, deadLetterInsertValues('p'));
}
