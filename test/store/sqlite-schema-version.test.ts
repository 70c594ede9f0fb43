import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue, SqliteStore, ValidationError } from '../../src/index.js';
import { latestSqliteSchemaVersion, migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';

const SCHEMA_VERSION = latestSqliteSchemaVersion();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-schema-version-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const userVersion = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;
const redriveVersion = (db: Database.Database) =>
  db.prepare('SELECT version FROM redrive_schema').pluck().get() as number | undefined;

describe("redrive's schema version", () => {
  it("leaves an application database's user_version alone (the application's migrations own it)", async () => {
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
    db.pragma('user_version = 7');
    for (let open = 0; open < 2; open++) {
      const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
      const queue = new Queue('orders', { store });
      const job = db.transaction(() => queue.addSync('confirm', { open }))();
      expect((await queue.getJob(job.id))?.payload).toEqual({ open });
      await queue.close();
      await store.close();
      expect(userVersion(db)).toBe(7);
      expect(redriveVersion(db)).toBe(SCHEMA_VERSION);
    }
    db.close();
  });

  it('leaves a fresh database at user_version 0', async () => {
    const path = join(dir, 'fresh.db');
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    expect(userVersion(db)).toBe(0);
    expect(redriveVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('adopts a database of the first releases, which kept its version in user_version', async () => {
    // A first-release database: the first schema only, no version table, user_version 1.
    const path = join(dir, 'legacy.db');
    const db = new Database(path);
    migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 1));
    db.exec('DROP TABLE redrive_schema');
    db.pragma('user_version = 1');
    const id = String(
      db
        .prepare(
          `INSERT INTO redrive_jobs (queue, name, payload, state, priority, max_attempts, run_at, created_at)
           VALUES ('legacy', 'kept', '{"n":1}', 'waiting', 0, 3, 0, 0)`,
        )
        .run().lastInsertRowid,
    );
    db.close();

    const reopened = new SqliteStore({ path });
    expect((await reopened.getJob({ id }))?.payload).toEqual({ n: 1 });
    await reopened.close();
    const check = new Database(path);
    expect(redriveVersion(check)).toBe(SCHEMA_VERSION);
    expect(userVersion(check)).toBe(1);
    check.close();
  });

  it('refuses a database written by a newer redrive, naming both versions', async () => {
    const path = join(dir, 'newer.db');
    await new SqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare('UPDATE redrive_schema SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    let caught: unknown;
    try {
      new SqliteStore({ path });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toContain(
      `schema ${SCHEMA_VERSION + 1}, this one knows ${SCHEMA_VERSION}`,
    );
  });
});
