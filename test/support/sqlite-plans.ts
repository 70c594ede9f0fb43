/**
 * Query-plan helpers for the SQLite plan tests: record the statements a store runs, then read the
 * plan of each.
 */
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { ListDeadLettersParams } from '../../src/store/dead-letter-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** Records the text of every statement that runs on `db`. */
export function recordStatements(db: Database.Database): Set<string> {
  const ran = new Set<string>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = stmt[method] as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        ran.add(sql);
        return original.apply(stmt, args);
      };
    }
    return stmt;
  }) as typeof db.prepare;
  return ran;
}

/** The plan of `sql` with every parameter bound to NULL. */
export function planOf(db: Database.Database, sql: string): string[] {
  const named = [...new Set([...sql.matchAll(/[@:$](\w+)/g)].map((m) => m[1]!))];
  const positional = (sql.match(/\?/g) ?? []).length;
  const args: unknown[] = new Array(positional).fill(null);
  if (named.length > 0) args.push(Object.fromEntries(named.map((name) => [name, null])));
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}

/**
 * The table a `SCAN` step of `sql`'s plan reads (an alias resolved to its table), or null for any
 * other step, so that an alias cannot hide a scan of a large table from a plan test.
 */
export function scannedTable(sql: string, detail: string): string | null {
  const scanned = /^SCAN (\w+)/.exec(detail)?.[1];
  if (scanned === undefined) return null;
  for (const m of sql.matchAll(/\b(redrive_\w+)\s+(?:AS\s+)?(\w+)/gi)) if (m[2] === scanned) return m[1]!;
  return scanned;
}

/**
 * Lists each of `params` on a new in-memory SQLite store, asserts that the page's statement walks
 * an index in order (no `TEMP B-TREE` sort), and hands its plan to `check` with the connection and
 * the statements that ran, for further assertions.
 */
export async function forEachUnsortedPagePlan(
  params: readonly ListDeadLettersParams[],
  check: (plan: string[], ran: Set<string>, db: Database.Database, params: ListDeadLettersParams) => void,
): Promise<void> {
  const db = new Database(':memory:');
  const ran = recordStatements(db);
  const store = new SqliteStore({ database: db });
  try {
    await store.listDeadLetters({ limit: 1 });
    for (const p of params) {
      ran.clear();
      await store.listDeadLetters(p);
      const page = [...ran].find((sql) => /\bLIMIT \? OFFSET \?/.test(sql));
      expect(page, JSON.stringify(p)).toBeDefined();
      const plan = planOf(db, page!);
      expect(
        plan.filter((d) => /TEMP B-TREE/.test(d)),
        JSON.stringify(p),
      ).toEqual([]);
      check(plan, ran, db, p);
    }
  } finally {
    await store.close();
    db.close();
  }
}
