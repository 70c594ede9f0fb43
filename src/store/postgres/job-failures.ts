/**
 * Failed attempts on PostgreSQL: a batch of failures in one transaction, each fenced by its token
 * (retry or rate-limit pause: one fenced UPDATE; dead letter: one statement that moves the job and
 * inserts its record), applied in input order so that a job named twice is judged by the first
 * failure's result. One statement per failure inside the transaction: a single set-based
 * statement for the whole batch would save the round trips (a measured next step).
 */
import type { AttemptRecord, JobState } from '../../core/job.js';
import type { FailJobResult, FenceResult, JobFailure } from '../job-store.js';
import type { PgQueryable, PostgresConnection } from './postgres-connection.js';
import type { PostgresDeadLetters } from './postgres-dead-letters.js';
import { type JobRow, toJobId } from './rows.js';

type Fence = { state: JobState | null; claim_token: string | null; last_attempt: AttemptRecord | null };

/** Applies `failures` in order on `client`, inside the caller's transaction. */
export async function failJobsOn(
  conn: PostgresConnection,
  deadLetters: PostgresDeadLetters,
  client: PgQueryable,
  failures: readonly JobFailure[],
  now: number,
): Promise<FailJobResult[]> {
  const results: FailJobResult[] = [];
  for (const failure of failures) results.push(await failOne(conn, deadLetters, client, failure, now));
  return results;
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
  const refusal = (row: Fence | undefined): FenceResult => {
    if (!row || row.state === null) return { id, ok: false, reason: 'not_found' };
    if (row.claim_token !== token) return { id, ok: false, reason: 'stale_token' };
    // A resend of the failure this token recorded (still the job's last attempt) is a duplicate.
    const duplicate =
      isSameAttempt(row.last_attempt, attempt) &&
      (outcome.kind === 'dead_letter'
        ? row.state === 'dead_lettered'
        : row.state === 'scheduled' || row.state === 'waiting');
    return duplicate ? { id, ok: true, duplicate: true } : { id, ok: false, reason: 'not_active' };
  };
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
    return row?.applied ? { id, ok: true } : refusal(row);
  }
  const job = (
    await conn.run<Fence & Pick<JobRow, 'queue' | 'name' | 'payload' | 'replay_of'>>(
      'jobs',
      'jobForFailure',
      [numeric],
      client,
    )
  )[0];
  if (!job || job.claim_token !== token || job.state !== 'active') return refusal(job);
  const dl = outcome.deadLetter;
  const record = deadLetters.recordFromJob(dl, {
    jobId: id,
    queue: job.queue,
    jobName: job.name,
    payloadJson: job.payload,
    replayOf: job.replay_of,
    now,
  });
  const inserted = await conn.run(
    'jobs',
    'deadLetterJob',
    [numeric, token, now, spent, JSON.stringify(attempt), JSON.stringify(record)],
    client,
  );
  if (inserted.length === 1) return { id, ok: true, deadLetterId: dl.id };
  // The job moved between the read and the write (or its dead letter existed): say why.
  const [after] = await conn.run<Fence>('jobs', 'fenceStates', [[numeric]], client);
  return refusal(after);
}

/** Whether two attempt records are the same attempt (number, outcome, times and worker). */
function isSameAttempt(last: AttemptRecord | null, attempt: AttemptRecord): boolean {
  return (
    last !== null &&
    last.attempt === attempt.attempt &&
    last.outcome === attempt.outcome &&
    last.startedAt === attempt.startedAt &&
    last.endedAt === attempt.endedAt &&
    (last.workerId ?? null) === (attempt.workerId ?? null)
  );
}
