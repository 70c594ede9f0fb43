/**
 * What a numbered SQLite migration is, and the helpers the early ones share. Each file
 * `NNNN_name.ts` exports one {@link SqliteMigration}; `index.ts` lists them in order.
 *
 * Migrations 1 to 8 are idempotent: databases from before numbered migrations recorded version 1
 * whatever they held, so on those every later step must tolerate finding its work already done.
 * Migrations after 8 run exactly once per database and need not be.
 */
import type Database from 'better-sqlite3';

/** One schema step, applied inside the migration transaction (`BEGIN IMMEDIATE`). */
export interface SqliteMigration {
  /** The number the file starts with; versions are consecutive from 1. */
  readonly version: number;
  /** The file name without its extension, e.g. `0002_orphan_attribution`. */
  readonly name: string;
  /** Applies the step to `db`. */
  up(db: Database.Database): void;
}

/** Whether `db` has a table (or virtual table) called `name`. */
export function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Adds each column `table` lacks (`ALTER TABLE ... ADD COLUMN`: nothing is rewritten or dropped). */
export function addMissingColumns(
  db: Database.Database,
  table: string,
  columns: readonly [name: string, type: string][],
): void {
  const present = new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
  for (const [name, type] of columns) {
    if (!present.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
