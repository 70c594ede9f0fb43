/**
 * Query plans of every statement the SQLite store runs while jobs fail (retries and dead letters):
 * each reads or writes its rows through a key or an index, never by scanning a table whose size
 * grows with the stored dead letters or jobs, so a failure costs the same with a large dead-letter
 * queue as with an empty one. Also: no trigger runs per inserted dead letter (the counters are
 * added once per batch).
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, Queue, SqliteStore, Worker } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

/** Tables whose size grows with the stored jobs and dead letters. */
const GROWING =
  /\b(redrive_jobs|redrive_dead_letters|redrive_dead_letter_messages|redrive_dead_letter_message_text|redrive_dead_letter_stacks)\b/;

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
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const args: unknown[] = new Array(positional).fill(null);
  if (named.length > 0) args.push(Object.fromEntries(named.map((name) => [name, null])));
  return (stmt.all(...args) as { detail: string }[]).map((row) => row.detail);
}

describe('SQLite failure path query plans', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('fails jobs (retried and dead-lettered) without scanning a growing table', async () => {
    const db = new Database(':memory:');
    const ran = recordStatements(db);
    const store = new SqliteStore({ database: db });
    const queue = new Queue<{ fail: 'once' | 'always' }>('plans', { store });
    await queue.addBulk(
      (['always', 'once', 'always', 'once'] as const).map((fail) => ({
        name: 'job',
        payload: { fail },
        options: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0, jitter: 'none' } },
      })),
    );
    ran.clear();
    const worker = new Worker<{ fail: 'once' | 'always' }>(
      'plans',
      async (job) => {
        if (job.payload.fail === 'always') throw new PermanentError('rejected');
        if (job.attempt === 1) throw Object.assign(new Error('upstream returned 503'), { status: 503 });
      },
      { store, concurrency: 4, maintenance: false },
    );
    close = async () => {
      await worker.close();
      await store.close();
    };
    await waitFor('two dead letters and two completions', () => {
      const stats = worker.stats();
      return stats.deadLettered === 2 && stats.completed === 2;
    });
    await worker.close();
    const failurePath = [...ran].filter((sql) => GROWING.test(sql));
    const counts = await queue.getCounts();
    expect([counts.dead_lettered, counts.completed]).toEqual([2, 2]);

    expect(failurePath.some((sql) => /INSERT INTO redrive_dead_letters\b/.test(sql))).toBe(true);
    const scans = failurePath.flatMap((sql) =>
      planOf(db, sql)
        .filter((detail) => /^SCAN /.test(detail) && GROWING.test(detail))
        .map((detail) => `${detail} in: ${sql.replace(/\s+/g, ' ')}`),
    );
    expect(scans).toEqual([]);
    const insertTriggers = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%AFTER INSERT ON redrive_dead_letters %'",
      )
      .pluck()
      .all();
    expect(insertTriggers).toEqual([]);
  });
});
