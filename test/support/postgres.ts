/**
 * PostgreSQL fixtures for tests: one schema per test file (created by the first store, dropped at
 * the end), emptied between tests with TRUNCATE, and a pool shared by the file's stores.
 */
import pg from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
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
