/**
 * Query-plan helpers for the SQLite plan tests: record the statements a store runs, then read the
 * plan of each.
 */
import type Database from 'better-sqlite3';

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

/** Lists `params` on a store of `db` (whose statements `ran` records) and returns the plan of the page's statement. */
export async function listPagePlan(
  db: Database.Database,
  ran: Set<string>,
  list: (params: Record<string, unknown>) => Promise<unknown>,
  params: Record<string, unknown>,
): Promise<string[]> {
  ran.clear();
  await list(params);
  const page = [...ran].find((sql) => /\bLIMIT \? OFFSET \?/.test(sql));
  if (page === undefined) throw new Error(`no page statement ran for ${JSON.stringify(params)}`);
  return planOf(db, page);
}
