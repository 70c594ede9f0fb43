/**
 * A fresh PostgreSQL "database" for one benchmark scenario: a schema no one else uses on the
 * server at BENCH_POSTGRES_URL (or POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards. Peers (graphile-worker, pg-boss) get their own fresh schema the same way.
 */
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { BenchDb } from './scenarios/context.js';

export function benchPostgresUrl(): string {
  return (
    process.env.BENCH_POSTGRES_URL || process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test'
  );
}

/** A schema name for one run: `bench_<label>_<pid>_<time>`. */
export function freshSchemaName(label: string): string {
  return `bench_${label}_${process.pid}_${Date.now().toString(36)}`;
}

/** Runs one statement on a short-lived connection (set-up and clean-up only). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: benchPostgresUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function createPostgresBenchDb(): BenchDb {
  const url = benchPostgresUrl();
  const schema = freshSchemaName('redrive');
  const stores: PostgresStore[] = [];
  return {
    path: `${url} (schema ${schema})`,
    workerUrl: `${url}${url.includes('?') ? '&' : '?'}schema=${encodeURIComponent(schema)}`,
    open: () => {
      const store = new PostgresStore({ url, schema });
      stores.push(store);
      return store;
    },
    // Fresh statistics after a prefill, so the planner sees the table as it is (autovacuum may lag).
    settle: () => adminQuery(`VACUUM ANALYZE "${schema}".jobs`),
    remove: async () => {
      await Promise.all(stores.map((s) => s.close()));
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
