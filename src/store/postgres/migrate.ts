/**
 * Schema migrations of the PostgreSQL store: the numbered files in `./migrations/`, applied in
 * order, all in one transaction that holds a transaction-scoped advisory lock (so two processes
 * starting at once apply them once, and it works through PgBouncer in transaction mode). The
 * applied versions are recorded in `<schema>.migrations`. A schema newer than this code knows is
 * refused with a clear error instead of being used half-understood.
 */
import type { PoolClient } from 'pg';
import { ValidationError } from '../../core/errors.js';
import { bindSchema, loadMigrations, quoteIdent } from './sql-files.js';

/** The schema version this code writes and reads. */
export function latestSchemaVersion(): number {
  return loadMigrations().at(-1)?.version ?? 0;
}

/** What {@link migrateSchema} did. */
export interface MigrationResult {
  /** The version before. 0 for a new schema. */
  from: number;
  /** The version now. */
  to: number;
  /** Names of the files applied. */
  applied: string[];
}

/**
 * Applies the missing migrations to `schema` on `client` (a connection that is not inside a
 * transaction). Creates the schema when it does not exist.
 *
 * @throws ValidationError naming `schema` when the database holds a newer schema than this code knows
 */
export async function migrateSchema(
  client: PoolClient,
  schema: string,
  options: { apply: boolean } = { apply: true },
): Promise<MigrationResult> {
  const q = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    // Unbounded whatever the connection's statement_timeout: an index build on a big table, or the
    // wait for another process's migration, may take longer than any one call of the store.
    await client.query('SET LOCAL statement_timeout = 0');
    // Held to the end of the transaction; keyed by schema, so different schemas migrate independently.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `redrive:migrate:${schema}`,
    ]);
    const current = await currentVersion(client, schema);
    const latest = latestSchemaVersion();
    if (current > latest) {
      throw new ValidationError(
        'schema',
        `the PostgreSQL schema ${schema} is at version ${current}, written by a newer redrive; this one knows versions up to ${latest} (upgrade redrive, or use another schema)`,
      );
    }
    const pending = loadMigrations().filter((m) => m.version > current);
    if (pending.length > 0 && !options.apply) {
      throw new ValidationError(
        'schema',
        `the PostgreSQL schema ${schema} is at version ${current}, behind this redrive (${latest}); run \`redrive migrate\` or open the store with migrate: true`,
      );
    }
    if (pending.length > 0) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
      await client.query(`SET LOCAL search_path TO ${q}, public`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${q}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of pending) {
        await client.query(bindSchema(migration.sql, schema));
        await client.query(`INSERT INTO ${q}.migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
    }
    await client.query('COMMIT');
    return { from: current, to: Math.max(current, latest), applied: pending.map((m) => m.name) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function currentVersion(client: PoolClient, schema: string): Promise<number> {
  const exists = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [
    `${quoteIdent(schema)}.migrations`,
  ]);
  if (!exists.rows[0]?.found) return 0;
  const row = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${quoteIdent(schema)}.migrations`,
  );
  return row.rows[0]?.version ?? 0;
}
