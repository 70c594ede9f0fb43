/**
 * SQLite keeps no `(domain, dead_lettered_at)` index (migration 15): every insert paid for it. A
 * list filtered by one domain alone reads `(domain, status, dead_lettered_at)` once per status and
 * merges the runs, so it still walks an index in time order (no sort of the domain's entries) and
 * returns exactly the order it did: newest or oldest first, ties by row id, by offset (a page in
 * the back half is read from the other end) and by cursor. A database written before the
 * migration loses the index and lists the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { DEAD_LETTER_STATUSES } from '../../src/core/dead-letter.js';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { expectListing } from '../support/dead-letter-listing.js';
import { forEachUnsortedPagePlan, planOf } from '../support/sqlite-plans.js';

const T0 = Date.UTC(2026, 0, 1);
const DOMAINS = ['payment', 'email', 'webhook'];
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A database of schema 14 holding 90 entries over three domains and every status, with time ties. */
async function databaseOfSchema14(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'redrive-domain-index-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 14));
  expect(indexNames(db)).toContain('redrive_dead_letters_domain_recent');
  // The entries are written by the insert code of schema 14 (the migration changes no stored row).
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({
    deadLetters: Array.from({ length: 90 }, (_, i) =>
      // Three entries per millisecond, inserted out of time order.
      standaloneDeadLetter(`dl-${i}`, T0 + Math.floor(((i * 37) % 90) / 3), { domain: DOMAINS[i % 3]! }),
    ),
    now: T0,
  });
  // Every status in every domain, set as history would have (the triggers keep the counters right).
  db.exec(`UPDATE redrive_dead_letters SET status = CASE (rowid / 3) % 6
    ${DEAD_LETTER_STATUSES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ')} END`);
  db.close();
  return path;
}

function indexNames(db: Database.Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
}

/** The ids of a domain in list order, straight from the table. */
function expected(
  path: string,
  domain: string,
  order: 'newest' | 'oldest',
  from = Number.MIN_SAFE_INTEGER,
  to = Number.MAX_SAFE_INTEGER,
): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    const by = order === 'newest' ? 'dead_lettered_at DESC, rowid ASC' : 'dead_lettered_at ASC, rowid DESC';
    return raw
      .prepare(
        `SELECT id FROM redrive_dead_letters WHERE domain = ? AND dead_lettered_at >= ? AND dead_lettered_at < ? ORDER BY ${by}`,
      )
      .pluck()
      .all(domain, from, to) as string[];
  } finally {
    raw.close();
  }
}

it('drops the index from a database of schema 14 and lists each domain in the same order, by offset and by cursor', async () => {
  const path = await databaseOfSchema14();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const raw = new Database(path, { readonly: true });
    expect(indexNames(raw)).not.toContain('redrive_dead_letters_domain_recent');
    raw.close();
    for (const domain of DOMAINS) {
      for (const order of ['newest', 'oldest'] as const) {
        const all = expected(path, domain, order);
        expect(all).toHaveLength(30);
        await expectListing((p) => store.listDeadLetters(p), { domain }, order, all);
      }
      // A time range: the page and its total.
      const from = T0 + 5;
      const to = T0 + 20;
      const ranged = expected(path, domain, 'newest', from, to);
      expect(ranged.length).toBeGreaterThan(0);
      const page = await store.listDeadLetters({ domain, from, to, limit: 100 });
      expect(page.items.map((d) => d.id)).toEqual(ranged);
      expect(page.total).toBe(ranged.length);
    }
  } finally {
    await store.close();
  }
});

it('reads a domain alone through (domain, status, time) in index order, without sorting its entries', async () => {
  await forEachUnsortedPagePlan(
    [
      { domain: 'email', limit: 25 },
      { domain: 'email', order: 'oldest', limit: 25 },
      { domain: 'email', from: T0, to: T0 + 10, limit: 25 },
    ],
    (plan, ran, db, params) => {
      const searches = plan.filter((d) => /^SEARCH redrive_dead_letters /.test(d));
      expect(searches).toHaveLength(DEAD_LETTER_STATUSES.length);
      for (const d of searches)
        expect(d).toMatch(/redrive_dead_letters_domain_time \(domain=\? AND status=\?/);
      // The total of a time range counts each status's range, not every entry of the domain.
      if (params.from !== undefined) {
        const count = [...ran].find((sql) => /COUNT\(\*\)/.test(sql));
        expect(count).toBeDefined();
        const counted = planOf(db, count!).filter((d) => /^SEARCH redrive_dead_letters /.test(d));
        expect(counted).toHaveLength(DEAD_LETTER_STATUSES.length);
        for (const d of counted)
          expect(d).toMatch(
            /domain_time \(domain=\? AND status=\? AND dead_lettered_at>\? AND dead_lettered_at<\?\)/,
          );
      }
    },
  );
});
