/**
 * The SQLite store keeps a retried attempt's stack apart from the job row (migration 13): the row
 * and what a claim reads hold the attempt without it, every read of the job and the job's dead
 * letter return the whole history, a deleted job takes its stacks along, and jobs of a database
 * from before the migration (stacks inline) read as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/core/job.js';
import {
  asClaimed,
  claim,
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  mustGet,
  T0,
} from '../../src/store/conformance/fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-attempt-stacks-'));
  return join(dir, 'jobs.db');
}

/** The job's `attempts` column as stored, and its row of stacks. */
function stored(path: string, id: string): { attempts: string | null; stacks: string | null } {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare(
        `SELECT attempts, (SELECT stacks FROM redrive_job_attempt_stacks WHERE job_id = j.id) AS stacks
           FROM redrive_jobs j WHERE id = ?`,
      )
      .get(Number(id)) as { attempts: string | null; stacks: string | null };
  } finally {
    raw.close();
  }
}

const stackOf = (n: number) => `Error: upstream returned 503 (${n})\n    at call (/app/src/api.ts:${n}:7)`;

it('keeps retried stacks out of the row and the claim, and returns the whole history on reads', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const first = await insertAndClaim(store, { now: T0, job: { maxAttempts: 3 } });
    const a1 = failedAttempt(first, T0 + 1, { stack: stackOf(1) });
    await store.failJob({
      id: first.id,
      token: first.token,
      attempt: a1,
      outcome: { kind: 'retry', runAt: T0 + 1 },
      now: T0 + 1,
    });
    const [second] = await claim(store, { now: T0 + 2 });
    const a2 = failedAttempt(second!, T0 + 3, { outcome: 'rate_limited', stack: stackOf(2) });
    await store.failJob({
      id: first.id,
      token: second!.token,
      attempt: a2,
      outcome: { kind: 'rate_limited', runAt: T0 + 3 },
      now: T0 + 3,
    });
    const row = stored(path, first.id);
    expect(row.attempts).not.toContain('/app/src/api.ts');
    expect(JSON.parse(row.stacks!)).toEqual({ 0: stackOf(1), 1: stackOf(2) });

    const [third] = await claim(store, { now: T0 + 4 });
    expect(third!.attempts).toEqual([asClaimed(a1), asClaimed(a2)]);
    expect((await mustGet(store, first.id)).attempts).toEqual([a1, a2]);
    expect((await store.listJobs({ limit: 10 }))[0]!.attempts).toEqual([a1, a2]);

    const a3 = failedAttempt(third!, T0 + 5, { errorClass: 'PermanentError', stack: undefined });
    await store.failJob({
      id: first.id,
      token: third!.token,
      attempt: a3,
      outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-1', T0 + 5) },
      now: T0 + 5,
    });
    // The dead-lettering attempt shows the dead letter's own stack, kept once on the entry.
    expect((await store.getDeadLetter({ id: 'dl-1' }))?.attempts).toEqual([
      a1,
      a2,
      { ...a3, stack: deadLetterFromJob('dl-1', T0 + 5).errorStack },
    ]);
    expect((await mustGet(store, first.id)).attempts).toEqual([a1, a2, a3]);

    // The job's stacks go with it: a job given its id later starts with none.
    expect(await store.removeJobsById({ ids: [first.id] })).toBe(1);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT COUNT(*) FROM redrive_job_attempt_stacks').pluck().get()).toBe(0);
    raw.close();
  } finally {
    await store.close();
  }
});

it('reads the inline stacks of a database from before the migration, and keeps new ones apart', async () => {
  // A job retried by a release that kept the stack inline: a database built by migrations 1-12.
  const path = freshPath();
  const old = new Database(path);
  migrateSqliteSchema(old, path, SQLITE_MIGRATIONS.slice(0, 12));
  old.close();
  const before = new SqliteStore({ path, pollIntervalMs: 0 });
  const inline: AttemptRecord = {
    attempt: 1,
    outcome: 'failed',
    startedAt: T0,
    endedAt: T0 + 1,
    workerId: 'w1',
    errorClass: 'Error',
    message: 'upstream returned 503 (1)',
    stack: stackOf(1),
  };
  let id: string;
  try {
    id = (await insertAndClaim(before, { now: T0, job: { maxAttempts: 3 } })).id;
  } finally {
    await before.close();
  }
  const raw = new Database(path);
  raw
    .prepare(
      "UPDATE redrive_jobs SET state = 'waiting', attempts_made = 1, attempts = ?, claim_token = NULL WHERE id = ?",
    )
    .run(JSON.stringify([inline]), Number(id));
  raw.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect((await mustGet(store, id)).attempts).toEqual([inline]);
    const [again] = await claim(store, { now: T0 + 2 });
    expect(again!.attempts).toEqual([inline]);
    const a2 = failedAttempt(again!, T0 + 3, { stack: stackOf(2) });
    await store.failJob({
      id,
      token: again!.token,
      attempt: a2,
      outcome: { kind: 'retry', runAt: T0 + 3 },
      now: T0 + 3,
    });
    expect(JSON.parse(stored(path, id).stacks!)).toEqual({ 1: stackOf(2) });
    expect((await mustGet(store, id)).attempts).toEqual([inline, a2]);
  } finally {
    await store.close();
  }
});
