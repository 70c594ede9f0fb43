/**
 * The SQLite store's numbered migrations: their files and order, a database of the first release
 * (version 1, before any added column or table) upgraded in place to the same schema a new database
 * gets with its data intact, and a version this code does not know refused.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { newJob, standaloneDeadLetter } from '../../src/store/conformance/fixtures.js';
import { latestSqliteSchemaVersion, migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import type { SqliteMigration } from '../../src/store/sqlite/migrations/migration.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-sqlite-migrations-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every table, index and trigger of redrive (FTS5 shadow tables included), as `type name`. */
function schemaObjects(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'redrive_schema' ORDER BY 1",
      )
      .pluck()
      .all() as string[]
  ).filter((o) => !o.startsWith('index sqlite_autoindex'));
}

function columns(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).sort();
}

const recordedVersion = (db: Database.Database) =>
  db.prepare('SELECT version FROM redrive_schema').pluck().get() as number;

/** Columns the first release did not have (added by migrations 2, 3 and 9). */
const ADDED_COLUMNS: Record<string, string[]> = {
  redrive_jobs: ['suspect', 'start_seq', 'quarantined', 'progress', 'attempt_stack_refs'],
  redrive_dead_letters: [
    'replay_of',
    'replay_started_at',
    'last_replay_at',
    'last_replay_error',
    'replay_job_id',
    'fingerprint_version',
    'stack_id',
  ],
};

/** Turns a current database back into one of the first release: only migration 1's objects, version 1. */
function downgradeToFirstRelease(path: string): void {
  const first = new Database(':memory:');
  migrateSqliteSchema(first, ':memory:', SQLITE_MIGRATIONS.slice(0, 1));
  const kept = new Set(schemaObjects(first));
  first.close();
  const db = new Database(path);
  const extra = schemaObjects(db).filter((o) => !kept.has(o));
  const drop = (type: string) => {
    for (const object of extra.filter((o) => o.startsWith(`${type} `))) {
      // FTS5 shadow tables go with their virtual table.
      db.exec(`DROP ${type.toUpperCase()} IF EXISTS ${object.slice(type.length + 1)}`);
    }
  };
  drop('trigger');
  drop('index');
  drop('table');
  for (const [table, names] of Object.entries(ADDED_COLUMNS)) {
    for (const name of names) db.exec(`ALTER TABLE ${table} DROP COLUMN ${name}`);
  }
  db.prepare('UPDATE redrive_schema SET version = 1').run();
  db.close();
}

describe('SQLite migrations', () => {
  it('are numbered 1, 2, 3, ... and named after their files, in order', () => {
    const folder = fileURLToPath(new URL('../../src/store/sqlite/migrations/', import.meta.url));
    const files = readdirSync(folder)
      .filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f))
      .sort()
      .map((f) => f.replace(/\.ts$/, ''));
    expect(SQLITE_MIGRATIONS.map((m) => m.name)).toEqual(files);
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(files.map((_, i) => i + 1));
    expect(latestSqliteSchemaVersion()).toBe(files.length);
  });

  it('upgrade a first-release database in place to the schema of a new one, keeping its data', async () => {
    const fresh = join(dir, 'fresh.db');
    await new SqliteStore({ path: fresh, pollIntervalMs: 0 }).close();
    const path = join(dir, 'old.db');
    const before = new SqliteStore({ path, pollIntervalMs: 0 });
    const [job] = await before.insertJobs({
      jobs: [newJob({ payload: { n: 1 } })],
      now: T0,
    });
    await before.insertDeadLetters({
      deadLetters: [
        standaloneDeadLetter('a', T0, { errorMessage: 'card declined by issuer', fingerprint: 'fp-card' }),
        standaloneDeadLetter('b', T0 + 1, {
          errorMessage: 'card declined by issuer',
          fingerprint: 'fp-card',
        }),
        standaloneDeadLetter('c', T0 + 2, { errorMessage: 'socket hang up', fingerprint: 'fp-net' }),
      ],
      now: T0 + 2,
    });
    await before.close();
    downgradeToFirstRelease(path);
    const old = new Database(path);
    expect(columns(old, 'redrive_jobs')).not.toContain('suspect');
    expect(schemaObjects(old)).not.toContain('table redrive_leader');
    old.close();

    const store = new SqliteStore({ path, pollIntervalMs: 0 });
    try {
      expect((await store.getJob({ id: job!.id }))?.payload).toEqual({ n: 1 });
      expect((await store.getDeadLetter({ id: 'a' }))?.fingerprintVersion).toBe(1);
      const facets = await store.facetDeadLetters({});
      expect(facets.byStatus.pending).toBe(3);
      const top = await store.topDeadLetterFailures({ limit: 5 });
      expect(top.groups.map((g) => [g.fingerprint, g.count])).toEqual([
        ['fp-card', 2],
        ['fp-net', 1],
      ]);
      const found = await store.listDeadLetters({ errorText: 'hang', limit: 10 });
      expect(found.items.map((d) => d.id)).toEqual(['c']);
      const lease = await store.acquireLeadership({ candidate: 'p1', leaseMs: 1000, now: T0 });
      expect(lease).toMatchObject({ leader: true, lease: { epoch: 1 } });
    } finally {
      await store.close();
    }
    const upgraded = new Database(path);
    const reference = new Database(fresh);
    expect(schemaObjects(upgraded)).toEqual(schemaObjects(reference));
    for (const table of ['redrive_jobs', 'redrive_dead_letters']) {
      expect(columns(upgraded, table)).toEqual(columns(reference, table));
    }
    expect(recordedVersion(upgraded)).toBe(latestSqliteSchemaVersion());
    upgraded.close();
    reference.close();
  });

  it('apply only the missing ones, once, and record the version reached', () => {
    const db = new Database(':memory:');
    const first = migrateSqliteSchema(db, ':memory:');
    expect(first).toEqual({
      from: 0,
      to: latestSqliteSchemaVersion(),
      applied: SQLITE_MIGRATIONS.map((m) => m.name),
    });
    let runs = 0;
    const next: SqliteMigration = {
      version: latestSqliteSchemaVersion() + 1,
      name: 'next',
      up: (target) => {
        runs++;
        target.exec('CREATE TABLE redrive_next (id INTEGER PRIMARY KEY)');
      },
    };
    const withNext = [...SQLITE_MIGRATIONS, next];
    expect(migrateSqliteSchema(db, ':memory:', withNext).applied).toEqual(['next']);
    expect(migrateSqliteSchema(db, ':memory:', withNext).applied).toEqual([]);
    expect(runs).toBe(1);
    expect(recordedVersion(db)).toBe(next.version);
    expect(() => migrateSqliteSchema(db, 'app.db')).toThrow(ValidationError);
    expect(() => migrateSqliteSchema(db, 'app.db')).toThrow(
      `app.db was written by a newer redrive (schema ${next.version}, this one knows ${latestSqliteSchemaVersion()})`,
    );
    db.close();
  });

  it('roll back every step of a failing run: the database stays at its version', () => {
    const db = new Database(':memory:');
    migrateSqliteSchema(db, ':memory:');
    const broken: SqliteMigration[] = [
      ...SQLITE_MIGRATIONS,
      { version: 9_000, name: 'adds', up: (t) => t.exec('CREATE TABLE redrive_half (id INTEGER)') },
      { version: 9_001, name: 'fails', up: (t) => t.exec('CREATE TABLE redrive_half (id INTEGER)') },
    ];
    expect(() => migrateSqliteSchema(db, ':memory:', broken)).toThrow(/already exists/);
    expect(schemaObjects(db)).not.toContain('table redrive_half');
    expect(recordedVersion(db)).toBe(latestSqliteSchemaVersion());
    db.close();
  });
});
