/**
 * Every filter the dashboard's dead-letter list offers (status, domain, queue, failure type,
 * fingerprint, entity, error-text search, time range, a declared payload path) is read through an
 * index of its own on SQLite: the page and its total search an index, and no statement scans the
 * dead letters or their messages, so each filter's first page costs the same at a million entries
 * as at a hundred.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import type { DeadLetterFilter } from '../../src/store/dead-letter-store.js';

/** Tables whose size grows with the stored dead letters. */
const GROWING = /\b(redrive_dead_letters|redrive_dead_letter_messages)\b/;

/** Records the text of every statement that runs on `db`. */
function recordStatements(db: Database.Database): Set<string> {
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
function planOf(db: Database.Database, sql: string): string[] {
  const named = [...new Set([...sql.matchAll(/[@:$](\w+)/g)].map((m) => m[1]!))];
  const positional = (sql.match(/\?/g) ?? []).length;
  const args: unknown[] = new Array(positional).fill(null);
  if (named.length > 0) args.push(Object.fromEntries(named.map((name) => [name, null])));
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}

/** Each filter of the dashboard and the index its entries are found through. */
const UI_FILTERS: [string, DeadLetterFilter, RegExp][] = [
  ['status', { statuses: ['pending'] }, /redrive_dead_letters_status/],
  ['domain', { domain: 'email' }, /redrive_dead_letters_domain_/],
  ['domain and status', { domain: 'email', statuses: ['pending'] }, /redrive_dead_letters_domain_/],
  ['queue', { queue: 'emails' }, /redrive_dead_letters_queue_time/],
  ['failure type', { failureType: 'HTTP_5XX' }, /redrive_dead_letters_failure_type_time/],
  ['fingerprint', { fingerprint: 'fp-1' }, /redrive_dead_letters_fingerprint_time/],
  ['entity', { entityId: 'order-7' }, /redrive_dead_letters_entity_time/],
  ['error-text search', { errorText: 'order 4242' }, /redrive_dead_letters_message/],
  ['time range', { from: 1, to: 5 }, /redrive_dead_letters_recent/],
  [
    'declared payload path',
    { json: [{ field: 'payload', path: 'customerId', op: 'eq', value: 42 }] },
    /redrive_dead_letters_path_/,
  ],
];

describe('SQLite dead-letter filter plans', () => {
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('reads every filter the dashboard offers through an index', async () => {
    const db = new Database(':memory:');
    const ran = recordStatements(db);
    store = new SqliteStore({ database: db, indexedPaths: ['payload.customerId'] });
    await store.listDeadLetters({ limit: 1 });
    const problems: string[] = [];
    for (const [name, filter, index] of UI_FILTERS) {
      ran.clear();
      await store.listDeadLetters({ ...filter, limit: 25 });
      const reads = [...ran].filter((sql) => GROWING.test(sql));
      expect(reads.length, name).toBeGreaterThan(0);
      const plans = reads.map((sql) => planOf(db, sql));
      for (const [i, plan] of plans.entries()) {
        for (const detail of plan)
          if (/^SCAN /.test(detail) && GROWING.test(detail) && !/VIRTUAL TABLE/.test(detail))
            problems.push(`${name}: ${detail} in ${reads[i]!.replace(/\s+/g, ' ')}`);
      }
      const searches = plans.flat().filter((d) => /^SEARCH redrive_dead_letters /.test(d));
      if (!searches.some((d) => index.test(d)))
        problems.push(`${name}: no ${index} in ${searches.join(' / ')}`);
    }
    expect(problems).toEqual([]);
  });
});
