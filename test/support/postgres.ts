/**
 * PostgreSQL fixtures for tests: one schema per test file (created by the first store, dropped at
 * the end), emptied between tests with TRUNCATE, and a pool shared by the file's stores.
 */
import pg from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
import { bindSchema, loadMigrations, quoteIdent } from '../../src/store/postgres/sql-files.js';
import { TcpProxy } from '../chaos/tcp-proxy.js';
import { uniqueSchemaName } from './services.js';

/** A schema of one test file, with a factory of fresh, empty stores on it. */
export class PostgresTestSchema {
  readonly schema: string;
  readonly pool: pg.Pool;
  private migrated = false;

  constructor(
    readonly url: string,
    label: string,
  ) {
    this.schema = uniqueSchemaName(label);
    this.pool = new pg.Pool({ connectionString: url, max: 6 });
    this.pool.on('error', () => {});
  }

  /** A store on the schema, emptied first (every table truncated, identities restarted). */
  async freshStore(options: Omit<PostgresStoreOptions, 'schema'> = {}): Promise<PostgresStore> {
    const store = new PostgresStore({ pool: this.pool, ...options, schema: this.schema });
    if (!this.migrated) {
      await store.ready();
      this.migrated = true;
    } else {
      await this.truncate();
    }
    return store;
  }

  /**
   * A store on the schema whose connections go through a {@link TcpProxy} to the server (pool of
   * 2), so a test can reset or stall them. The caller closes both.
   */
  async storeThroughProxy(
    options: Omit<PostgresStoreOptions, 'schema' | 'url' | 'pool'> = {},
  ): Promise<{ store: PostgresStore; proxy: TcpProxy }> {
    const target = new URL(this.url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const through = new URL(this.url);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    const store = new PostgresStore({
      url: through.toString(),
      poolSize: 2,
      ...options,
      schema: this.schema,
    });
    return { store, proxy };
  }

  /**
   * Empties every table of the schema except its migration record. DELETE, not TRUNCATE: the
   * tables are small, and TRUNCATE rewrites every table and index file (hundreds of ms per test).
   */
  async truncate(): Promise<void> {
    const tables = [
      'jobs',
      'queues',
      'workers',
      'dead_letters',
      'dead_letter_counts',
      'dead_letter_groups',
      'dead_letter_fingerprints',
      'dead_letter_audit',
      'tally',
      'leader',
    ];
    await this.pool.query(tables.map((t) => `DELETE FROM "${this.schema}".${t};`).join(' '));
  }

  /** Drops the schema and ends the pool. */
  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`).catch(() => undefined);
    await this.pool.end();
  }
}

/**
 * Builds `schema` as an older release left it: migrations 1 to `version` applied and recorded,
 * as migrateSchema applies them (for upgrade tests; the next store to open it migrates the rest).
 */
export async function schemaAtVersion(pool: pg.Pool, schema: string, version: number): Promise<void> {
  const q = quoteIdent(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA ${q}`);
    await client.query(`SET LOCAL search_path TO ${q}, public`);
    await client.query(
      `CREATE TABLE ${q}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const migration of loadMigrations().filter((m) => m.version <= version)) {
      await client.query(bindSchema(migration.sql, schema));
      await client.query(`INSERT INTO ${q}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/**
 * On a schema built by {@link schemaAtVersion}: `waiting` jobs in queue `q` (payloads `{"i":1}`
 * and on), then `claim` of them claimed by worker `old` through that version's own
 * `complete_and_claim`, as a worker of the older release would. Returns the claimed ids and tokens.
 */
export async function claimedByOlderRelease(
  pool: pg.Pool,
  schema: string,
  jobs: { waiting: number; claim: number },
): Promise<{ id: string; token: string }[]> {
  const s = quoteIdent(schema);
  await pool.query(
    `INSERT INTO ${s}.queues (name) VALUES ('q');
     INSERT INTO ${s}.jobs (queue, name, payload, state, priority, max_attempts, run_at, created_at)
       SELECT 'q', 'job', '{"i":' || i || '}', 'waiting', 0, 3, i, 0 FROM generate_series(1, ${jobs.waiting}) i`,
  );
  const { rows } = await pool.query<{ id: string; token: string }>(
    `SELECT id::text, token FROM ${s}.complete_and_claim('{}', '{}', '{}', 100, 'q', 'old', $1, 60000, 'c0', NULL, NULL, false)`,
    [jobs.claim],
  );
  return rows;
}
