/**
 * SQLite reads a failure type through `(failure_type, dead_lettered_at)`. An earlier build of
 * migration 18 dropped that index; migration 20 builds it again on such a database, and leaves a
 * database that kept it alone. Either way a list by failure type returns exactly what a scan of
 * the table returns (newest or oldest first, ties by row id, by offset and by cursor, with its
 * total), alone and with statuses, domains and a time range.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import type { DeadLetterFilter } from '../../src/store/dead-letter-store.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { expectListing } from '../support/dead-letter-listing.js';

const T0 = Date.UTC(2026, 0, 1);
const INDEX = 'redrive_dead_letters_failure_type_time';
const DOMAINS = ['payment', 'email', 'webhook'];
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * The i-th entry: 50 fingerprints; `timeout` in four of them (a type of few groups), `permanent`
 * and `retries_exhausted` spread over the other 46 (types of more groups than are read one by one),
 * the rest `poison_pill`. Three entries per millisecond, inserted out of time order.
 */
function entry(i: number) {
  const group = i % 50;
  const type =
    group < 4 ? 'timeout' : i % 13 === 0 ? 'permanent' : i % 13 === 1 ? 'retries_exhausted' : 'poison_pill';
  return standaloneDeadLetter(`dl-${i}`, T0 + Math.floor(((i * 37) % 1200) / 3), {
    domain: DOMAINS[i % 3]!,
    fingerprint: `fp-${group}`,
    failureType: type,
  });
}

/** The ids matching `where` in list order, straight from the table without any index. */
function expected(path: string, where: string, args: unknown[], order: 'newest' | 'oldest'): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    const by = order === 'newest' ? 'dead_lettered_at DESC, rowid ASC' : 'dead_lettered_at ASC, rowid DESC';
    return raw
      .prepare(`SELECT id FROM redrive_dead_letters NOT INDEXED WHERE ${where} ORDER BY ${by}`)
      .pluck()
      .all(...args) as string[];
  } finally {
    raw.close();
  }
}

/** The index's root page, or null when it does not exist (a rebuilt index gets a new one). */
function indexRoot(path: string): number | null {
  const raw = new Database(path, { readonly: true });
  try {
    const root = raw
      .prepare("SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND name = ?")
      .pluck()
      .get(INDEX) as number | undefined;
    return root ?? null;
  } finally {
    raw.close();
  }
}

/** A file database at schema 19 holding 1,200 entries; `dropped`: as an earlier build of migration 18 left it. */
async function schema19(dropped: boolean): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'redrive-failure-type-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 19));
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({ deadLetters: Array.from({ length: 1200 }, (_, i) => entry(i)), now: T0 });
  if (dropped) db.exec(`DROP INDEX ${INDEX}`);
  db.close();
  return path;
}

it('builds the failure-type index again where it was dropped, and lists every failure type exactly, alone and with other conditions', async () => {
  const path = await schema19(true);
  expect(indexRoot(path)).toBeNull();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(indexRoot(path)).not.toBeNull();
    await store.resolveDeadLetters({
      ids: Array.from({ length: 60 }, (_, k) => `dl-${k * 10}`),
      now: T0,
      actor: 'test',
    });
    const cases: [DeadLetterFilter, string, unknown[]][] = [
      [{ failureType: 'timeout' }, 'failure_type = ?', ['timeout']],
      [{ failureType: 'permanent' }, 'failure_type = ?', ['permanent']],
      [
        { failureType: 'permanent', statuses: ['pending'] },
        "failure_type = ? AND status = 'pending'",
        ['permanent'],
      ],
      [{ failureType: 'timeout', domain: 'email' }, 'failure_type = ? AND domain = ?', ['timeout', 'email']],
      [
        { failureType: 'retries_exhausted', from: T0 + 20, to: T0 + 260 },
        'failure_type = ? AND dead_lettered_at >= ? AND dead_lettered_at < ?',
        ['retries_exhausted', T0 + 20, T0 + 260],
      ],
    ];
    for (const [filter, where, args] of cases) {
      for (const order of ['newest', 'oldest'] as const) {
        const all = expected(path, where, args, order);
        expect(all.length, JSON.stringify(filter)).toBeGreaterThanOrEqual(30);
        await expectListing((p) => store.listDeadLetters(p), filter, order, all);
      }
    }
  } finally {
    await store.close();
  }
});

it('leaves the failure-type index of a database that kept it as it is', async () => {
  const path = await schema19(false);
  const before = indexRoot(path);
  expect(before).not.toBeNull();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  await store.close();
  expect(indexRoot(path)).toBe(before);
});
