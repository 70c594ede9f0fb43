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
import { planOf, recordStatements } from '../support/sqlite-plans.js';
import { waitFor } from '../support/wait.js';

/** Tables whose size grows with the stored jobs and dead letters. */
const GROWING =
  /\b(redrive_jobs|redrive_dead_letters|redrive_dead_letter_messages|redrive_dead_letter_message_text|redrive_dead_letter_stacks|redrive_job_attempt_stacks)\b/;

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
