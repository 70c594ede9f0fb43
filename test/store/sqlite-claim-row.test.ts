/**
 * The SQLite store reads each claimed job as one JSON text built by the query (CLAIM_ROW_JSON):
 * text columns that need escaping, JSON columns spliced in as stored, and nulls all come back as
 * the job was stored, for a plain claim, a quarantine claim and a retried job's history.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { claim, failedAttempt, newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** Text that JSON must escape: quotes, a backslash, control characters, non-ASCII and an emoji. */
const AWKWARD = 'a "quoted" \\ back\nslash\ttab \u0001 é 漢 😀';

it('claims a job whose text and JSON columns need escaping exactly as it was stored', async () => {
  const store = new SqliteStore({ path: ':memory:', pollIntervalMs: 0 });
  try {
    const payload = { text: AWKWARD, nested: [1, null, { deep: true }], big: 2 ** 52, neg: -1.5e-7 };
    await store.insertJobs({
      jobs: [
        newJob({
          name: AWKWARD,
          payload,
          priority: 2,
          timeoutMs: 1234,
          backoff: { type: 'fixed', delayMs: 5, jitter: 'none' },
          idempotencyKey: AWKWARD,
          replayOf: `dl-${AWKWARD}`,
          headers: { traceparent: AWKWARD },
        }),
        newJob({ payloadJson: 'null' }),
      ],
      now: T0,
    });
    const [full, bare] = await claim(store, { now: T0 });
    expect(full).toMatchObject({
      name: AWKWARD,
      payload,
      priority: 2,
      timeoutMs: 1234,
      backoff: { type: 'fixed', delayMs: 5, jitter: 'none' },
      idempotencyKey: AWKWARD,
      replayOf: `dl-${AWKWARD}`,
      headers: { traceparent: AWKWARD },
      attempts: [],
    });
    expect(bare).toMatchObject({
      payload: null,
      timeoutMs: null,
      backoff: null,
      idempotencyKey: null,
      replayOf: null,
      headers: null,
    });

    const attempt = failedAttempt(full!, T0 + 1, { message: AWKWARD, stack: `Error: ${AWKWARD}` });
    const [result] = await store.failJobs({
      failures: [{ id: full!.id, token: full!.token, attempt, outcome: { kind: 'retry', runAt: T0 + 1 } }],
      now: T0 + 1,
    });
    expect(result).toEqual({ id: full!.id, ok: true });
    const [again] = await claim(store, { now: T0 + 2 });
    const { stack: _kept, ...withoutStack } = attempt;
    expect(again).toMatchObject({ id: full!.id, attemptsMade: 1, attempts: [withoutStack], payload });
  } finally {
    await store.close();
  }
});

it('claims a suspect through the quarantine claim exactly as it was stored', async () => {
  const db = new Database(':memory:');
  const store = new SqliteStore({ database: db, pollIntervalMs: 0 });
  try {
    const payload = { text: AWKWARD, nested: [1, null] };
    await store.insertJobs({
      jobs: [newJob({ name: AWKWARD, payload, headers: { traceparent: AWKWARD } }), newJob({})],
      now: T0,
    });
    // A job whose earlier run may have crashed its worker (what recovery marks when it attributes an orphan).
    db.prepare('UPDATE redrive_jobs SET suspect = 1 WHERE id = (SELECT MIN(id) FROM redrive_jobs)').run();
    const claimed = await claim(store, { now: T0, quarantine: true });
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({
      name: AWKWARD,
      payload,
      headers: { traceparent: AWKWARD },
      attempts: [],
      suspect: true,
    });
  } finally {
    await store.close();
    db.close();
  }
});
