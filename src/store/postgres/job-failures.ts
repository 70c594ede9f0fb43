/**
 * Failed attempts on PostgreSQL: a batch of failures in one transaction, each fenced by its token.
 * Set-based: one statement for the batch's retries and rate-limit pauses, one read of the jobs
 * being dead-lettered (their payloads, for redaction) and one statement that moves them and
 * inserts their records, then one read of the refused jobs for the reasons; a handful of round
 * trips per batch instead of one or two per failure. A batch that names a job twice is applied
 * one failure at a time, in input order, so that the second is judged by the first's result.
 */
import type { AttemptRecord, JobState } from '../../core/job.js';
import type { FailJobResult, FenceResult, JobFailure } from '../job-store.js';
import { isSameAttempt } from '../shared/same-attempt.js';
import type { PgQueryable, PostgresConnection } from './postgres-connection.js';
import type { PostgresDeadLetters } from './postgres-dead-letters.js';
import { type JobRow, toJobId } from './rows.js';

type Fence = { state: JobState | null; claim_token: string | null; last_attempt: AttemptRecord | null };
type FailingJob = Pick<JobRow, 'queue' | 'name' | 'payload' | 'replay_of'> & {
  id: string;
  state: JobState;
  claim_token: string | null;
};

/** Applies `failures` on `client`, inside the caller's transaction; one result each, in input order. */
export async function failJobsOn(
  conn: PostgresConnection,
  deadLetters: PostgresDeadLetters,
  client: PgQueryable,
  failures: readonly JobFailure[],
  now: number,
): Promise<FailJobResult[]> {
  const ids = failures.map((f) => toJobId(f.id));
  if (new Set(ids).size < ids.length) {
    const results: FailJobResult[] = [];
    for (const failure of failures) results.push(await failOne(conn, deadLetters, client, failure, now));
    return results;
  }
  const results: (FailJobResult | undefined)[] = new Array(failures.length);
  const retries: number[] = [];
  const dead: number[] = [];
  failures.forEach((f, i) => {
    if (ids[i] === null) results[i] = { id: f.id, ok: false, reason: 'not_found' };
    else if (f.outcome.kind === 'dead_letter') dead.push(i);
    else retries.push(i);
  });
  if (retries.length > 0) {
    const changed = await conn.run<{ id: string }>(
      'jobs',
      'retryMany',
      [
        retries.map((i) => ids[i]),
        retries.map((i) => failures[i]!.token),
        retries.map((i) => {
          const o = failures[i]!.outcome as { runAt: number };
          return o.runAt <= now ? 'waiting' : 'scheduled';
        }),
        retries.map((i) => (failures[i]!.outcome as { runAt: number }).runAt),
        retries.map((i) => (failures[i]!.outcome.kind === 'rate_limited' ? 0 : 1)),
        retries.map((i) => JSON.stringify(failures[i]!.attempt)),
      ],
      client,
    );
    const applied = new Set(changed.map((r) => r.id));
    for (const i of retries) if (applied.has(String(ids[i]))) results[i] = { id: failures[i]!.id, ok: true };
  }
  if (dead.length > 0) await deadLetterMany(conn, deadLetters, client, failures, ids, dead, results, now);
  const refused: number[] = [];
  for (let i = 0; i < results.length; i++) if (results[i] === undefined) refused.push(i);
  if (refused.length > 0) {
    const rows = await conn.run<Fence & { id: string }>(
      'jobs',
      'fenceStates',
      [refused.map((i) => ids[i])],
      client,
    );
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    for (const i of refused) results[i] = refusal(failures[i]!, byId.get(String(ids[i])));
  }
  return results as FailJobResult[];
}

/** The dead-letter failures of a batch (indexes `dead`): one read, one move-and-insert. */
async function deadLetterMany(
  conn: PostgresConnection,
  deadLetters: PostgresDeadLetters,
  client: PgQueryable,
  failures: readonly JobFailure[],
  ids: readonly (number | null)[],
  dead: readonly number[],
  results: (FailJobResult | undefined)[],
  now: number,
): Promise<void> {
  const jobs = await conn.run<FailingJob>('jobs', 'jobsForFailure', [dead.map((i) => ids[i])], client);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const moving = dead.filter((i) => {
    const job = byId.get(String(ids[i]));
    return job !== undefined && job.claim_token === failures[i]!.token && job.state === 'active';
  });
  if (moving.length === 0) return;
  const records = moving.map((i) => {
    const failure = failures[i]!;
    const job = byId.get(String(ids[i]))!;
    const record = deadLetters.recordFromJob((failure.outcome as { deadLetter: DeadLetterOf }).deadLetter, {
      jobId: failure.id,
      queue: job.queue,
      jobName: job.name,
      payloadJson: job.payload,
      replayOf: job.replay_of,
      now,
    });
    return JSON.stringify(record);
  });
  const moved = await conn.run<{ job_id: string; dead_letter_id: string | null; linked: string | null }>(
    'jobs',
    'deadLetterJobs',
    [
      moving.map((i) => ids[i]),
      moving.map((i) => failures[i]!.token),
      moving.map((i) => JSON.stringify(failures[i]!.attempt)),
      records,
      now,
    ],
    client,
  );
  const entries = new Map(moved.map((r) => [r.job_id, r.dead_letter_id]));
  const linkedUnstored = moved.filter((r) => r.linked !== r.dead_letter_id).map((r) => r.job_id);
  if (linkedUnstored.length > 0)
    for (const [id, entry] of await relinkDeadLetters(conn, client, linkedUnstored)) entries.set(id, entry);
  for (const i of moving) {
    // Not moved: the job changed meanwhile; the refusal read says why.
    if (!entries.has(String(ids[i]))) continue;
    // The entry kept for the job: the one stored before it failed, if any, or the one inserted now.
    const entry = entries.get(String(ids[i]));
    results[i] = entry
      ? { id: failures[i]!.id, ok: true, deadLetterId: entry }
      : { id: failures[i]!.id, ok: true };
  }
}

/**
 * Links each of `jobIds` (dead-lettered in this transaction) to the entry stored for it now, or to
 * none, and returns those by job id: for jobs whose link names a record their statement did not
 * store, or that got none. A concurrent transaction inserting the same id (or an entry for the same
 * job) is not in the statement's snapshot, so the link chosen from it named that record; ON
 * CONFLICT then waited for the transaction and skipped it (see jobs.sql relinkDeadLetters).
 */
export async function relinkDeadLetters(
  conn: PostgresConnection,
  client: PgQueryable,
  jobIds: readonly string[],
): Promise<Map<string, string | null>> {
  const rows = await conn.run<{ id: string; dead_letter_id: string | null }>(
    'jobs',
    'relinkDeadLetters',
    [jobIds],
    client,
  );
  return new Map(rows.map((r) => [r.id, r.dead_letter_id]));
}

type DeadLetterOf = Extract<JobFailure['outcome'], { kind: 'dead_letter' }>['deadLetter'];

/** Why a failure was not applied, from the job's row as it is now. */
function refusal(failure: JobFailure, row: Fence | undefined): FenceResult {
  const { id, token, outcome, attempt } = failure;
  if (!row || row.state === null) return { id, ok: false, reason: 'not_found' };
  if (row.claim_token !== token) return { id, ok: false, reason: 'stale_token' };
  // A resend of the failure this token recorded (still the job's last attempt) is a duplicate.
  const duplicate =
    isSameAttempt(row.last_attempt, attempt) &&
    (outcome.kind === 'dead_letter'
      ? row.state === 'dead_lettered'
      : row.state === 'scheduled' || row.state === 'waiting');
  return duplicate ? { id, ok: true, duplicate: true } : { id, ok: false, reason: 'not_active' };
}

async function failOne(
  conn: PostgresConnection,
  deadLetters: PostgresDeadLetters,
  client: PgQueryable,
  failure: JobFailure,
  now: number,
): Promise<FailJobResult> {
  const { id, token, outcome, attempt } = failure;
  const numeric = toJobId(id);
  if (numeric === null) return { id, ok: false, reason: 'not_found' };
  const refused = (row: Fence | undefined): FenceResult => refusal(failure, row);
  const spent = outcome.kind === 'rate_limited' ? 0 : 1;
  if (outcome.kind !== 'dead_letter') {
    const [row] = await conn.run<Fence & { applied: boolean }>(
      'jobs',
      'retry',
      [
        numeric,
        token,
        outcome.runAt <= now ? 'waiting' : 'scheduled',
        outcome.runAt,
        spent,
        outcome.kind === 'rate_limited' ? 1 : 0,
        JSON.stringify(attempt),
      ],
      client,
    );
    return row?.applied ? { id, ok: true } : refused(row);
  }
  const job = (
    await conn.run<Fence & Pick<JobRow, 'queue' | 'name' | 'payload' | 'replay_of'>>(
      'jobs',
      'jobForFailure',
      [numeric],
      client,
    )
  )[0];
  if (!job || job.claim_token !== token || job.state !== 'active') return refused(job);
  const dl = outcome.deadLetter;
  const record = deadLetters.recordFromJob(dl, {
    jobId: id,
    queue: job.queue,
    jobName: job.name,
    payloadJson: job.payload,
    replayOf: job.replay_of,
    now,
  });
  const [moved] = await conn.run<{ dead_letter_id: string | null; linked: string | null }>(
    'jobs',
    'deadLetterJob',
    [numeric, token, now, spent, JSON.stringify(attempt), JSON.stringify(record)],
    client,
  );
  if (moved) {
    // The entry kept for the job: the one stored before it failed, if any, or the one inserted now.
    const entry =
      moved.linked === moved.dead_letter_id
        ? moved.dead_letter_id
        : ((await relinkDeadLetters(conn, client, [String(numeric)])).get(String(numeric)) ?? null);
    return entry ? { id, ok: true, deadLetterId: entry } : { id, ok: true };
  }
  // The job moved between the read and the write: say why.
  const [after] = await conn.run<Fence>('jobs', 'fenceStates', [[numeric]], client);
  return refused(after);
}
