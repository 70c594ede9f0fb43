/**
 * Failed attempts for the SQLite store, a batch at a time inside the caller's transaction: one
 * read of every named job, then per failure the fence check and the outcome (retry, rate-limit
 * pause, dead letter). Each attempt is appended to the job's history by splicing JSON text, never
 * by parsing and re-serializing the whole history; a retried attempt's stack is kept as a
 * reference to frames stored once (job-stack-frames.ts), out of what each claim reads. The dead
 * letters of the batch are inserted together (see SqliteDeadLetters.insertFromJobs).
 */
import type Database from 'better-sqlite3';
import type { AttemptRecord, JobState } from '../../core/job.js';
import type { FailJobResult, JobFailure } from '../job-store.js';
import { isSameAttempt } from '../shared/same-attempt.js';
import { AttemptJsonWriter } from './attempt-json.js';
import { attemptsJsonWithStacks, JOB_ATTEMPT_STACKS_SQL } from './attempt-stacks.js';
import { appendStackRef, JobStackFrames } from './job-stack-frames.js';
import type { JobDeadLetterInput, SqliteDeadLetters } from './sqlite-dead-letters.js';
import type { SqliteStatement } from './statement.js';

/** The columns a failure reads, in this order. */
type FailureRow = [
  id: number,
  queue: string,
  name: string,
  /** Read only when the batch dead-letters a job (null otherwise). */
  payload: string | null,
  state: JobState,
  claimToken: string | null,
  attempts: string | null,
  replayOf: string | null,
  attemptCount: number,
  stackRefs: string | null,
];

const ROW_QUEUE = 1;
const ROW_STATE = 4;
const ROW_TOKEN = 5;
const ROW_ATTEMPTS = 6;
const ROW_ATTEMPT_COUNT = 8;
const ROW_STACK_REFS = 9;

/** What a batch of failures did. */
export interface FailureBatchResult {
  results: FailJobResult[];
  /** Queues that got a job due now (their idle workers should be woken). */
  wokenQueues: Set<string>;
}

/** The statements of a failure batch (typed by name, so a missing one fails to compile). */
function prepareFailureStatements(db: Database.Database) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    // One JSON array text per row, parsed in JS: cheaper than the driver's row arrays (see CLAIM_ROW_JSON).
    // The payload (quoted into the text, then parsed out) only where a dead letter keeps it.
    rows: p(
      `SELECT json_array(id, queue, name, CASE WHEN @withPayload THEN payload END, state, claim_token,
                         attempts, replay_of, COALESCE(json_array_length(attempts), 0), attempt_stack_refs)
         FROM redrive_jobs WHERE id IN (SELECT value FROM json_each(@ids))`,
    ).pluck(),
    // One statement per outcome, so that each failure binds only its own four values: the state
    // and the counters as parameters cost ~1.7k instructions per failure in binding alone.
    retryDue: p(retrySql('waiting', 'attempts_made')),
    retryScheduled: p(retrySql('scheduled', 'attempts_made')),
    rateLimitedDue: p(retrySql('waiting', 'rate_limit_delays')),
    rateLimitedScheduled: p(retrySql('scheduled', 'rate_limit_delays')),
    deadLetter: p(
      `UPDATE redrive_jobs SET state = 'dead_lettered', finished_at = ?, attempts_made = attempts_made + 1,
              attempts = ?, lease_expires_at = NULL, dead_letter_id = ?
        WHERE id = ?`,
    ),
    linkDeadLetter: p('UPDATE redrive_jobs SET dead_letter_id = ? WHERE id = ?'),
    stacks: p(JOB_ATTEMPT_STACKS_SQL).pluck(),
  };
}

type FailureStatements = ReturnType<typeof prepareFailureStatements>;

/**
 * A retried or rate-limited attempt (`run_at`, `attempts`, `attempt_stack_refs`, `id` bound): the
 * job goes to `state` and `counter` (the attempts spent, or the rate-limit delays) goes up by one.
 */
function retrySql(state: 'waiting' | 'scheduled', counter: 'attempts_made' | 'rate_limit_delays'): string {
  return `UPDATE redrive_jobs SET state = '${state}', run_at = ?, ${counter} = ${counter} + 1, attempts = ?,
            attempt_stack_refs = ?, lease_expires_at = NULL, worker_id = NULL
      WHERE id = ?`;
}

/** Applies failed attempts to `redrive_jobs`. */
export class JobFailureWriter {
  private readonly stmt: FailureStatements;
  private readonly frames: JobStackFrames;
  private readonly attemptJson = new AttemptJsonWriter();

  constructor(
    db: Database.Database,
    private readonly deadLetters: SqliteDeadLetters,
  ) {
    this.stmt = prepareFailureStatements(db);
    this.frames = new JobStackFrames(db);
  }

  /**
   * Applies `failures` in input order in the caller's open write transaction. Each is checked
   * against the row as the earlier failures of the batch left it, so a job named twice is judged
   * by the first failure's result.
   */
  fail(failures: readonly JobFailure[], now: number): FailureBatchResult {
    const rows = this.readRows(failures);
    const results: FailJobResult[] = new Array(failures.length);
    const wokenQueues = new Set<string>();
    const deadLetters: JobDeadLetterInput[] = [];
    /** The index in `results` of each of `deadLetters`. */
    const deadLetterResults: number[] = [];
    const frames = this.frames.batch();
    for (let i = 0; i < failures.length; i++) {
      const failure = failures[i]!;
      const { id, token, outcome } = failure;
      const row = rows.get(Number(id));
      if (!row) {
        results[i] = { id, ok: false, reason: 'not_found' };
        continue;
      }
      if (row[ROW_TOKEN] !== token) {
        results[i] = { id, ok: false, reason: 'stale_token' };
        continue;
      }
      if (row[ROW_STATE] !== 'active') {
        results[i] = isDuplicate(row, failure)
          ? { id, ok: true, duplicate: true }
          : { id, ok: false, reason: 'not_active' };
        continue;
      }
      const earlier = row[ROW_ATTEMPTS];
      if (outcome.kind === 'dead_letter') {
        // The job is finished (never claimed again): its last attempt keeps any stack inline.
        const attempts = appendAttemptJson(earlier, JSON.stringify(failure.attempt));
        row[ROW_ATTEMPTS] = attempts;
        row[ROW_ATTEMPT_COUNT]++;
        row[ROW_STATE] = 'dead_lettered';
        this.stmt.deadLetter.run(now, attempts, outcome.deadLetter.id, row[0]);
        deadLetters.push({
          deadLetter: outcome.deadLetter,
          jobId: id,
          queue: row[ROW_QUEUE],
          jobName: row[2],
          payloadJson: row[3]!,
          attemptsJson:
            earlier === null
              ? attempts
              : attemptsJsonWithStacks(attempts, this.stmt.stacks.get(row[0]) as string | undefined),
          replayOf: row[7],
        });
        results[i] = { id, ok: true, deadLetterId: outcome.deadLetter.id };
        deadLetterResults.push(i);
        continue;
      }
      const attempts = appendAttemptJson(earlier, this.attemptJson.withoutStack(failure.attempt));
      const { stack } = failure.attempt;
      if (stack !== undefined) {
        const ref = frames.ref(stack, failure.attempt);
        row[ROW_STACK_REFS] = appendStackRef(row[ROW_STACK_REFS], row[ROW_ATTEMPT_COUNT], ref);
      }
      row[ROW_ATTEMPTS] = attempts;
      row[ROW_ATTEMPT_COUNT]++;
      const due = outcome.runAt <= now;
      row[ROW_STATE] = due ? 'waiting' : 'scheduled';
      const stmt =
        outcome.kind === 'rate_limited'
          ? due
            ? this.stmt.rateLimitedDue
            : this.stmt.rateLimitedScheduled
          : due
            ? this.stmt.retryDue
            : this.stmt.retryScheduled;
      stmt.run(outcome.runAt, attempts, row[ROW_STACK_REFS], row[0]);
      if (due) wokenQueues.add(row[ROW_QUEUE]);
      results[i] = { id, ok: true };
    }
    frames.flush();
    if (deadLetters.length > 0) this.keepEarlierEntries(deadLetters, deadLetterResults, results, now);
    return { results, wokenQueues };
  }

  /**
   * Inserts the batch's dead letters. One refused because its job has an entry already (imported,
   * recorded by hand) leaves that entry as the job's one dead letter: the job and the answer name
   * it instead of the id that was not stored (or none, if the refused id was another job's).
   */
  private keepEarlierEntries(
    deadLetters: readonly JobDeadLetterInput[],
    deadLetterResults: readonly number[],
    results: FailJobResult[],
    now: number,
  ): void {
    const inserted = this.deadLetters.insertFromJobs(deadLetters, now);
    for (let k = 0; k < deadLetters.length; k++) {
      if (inserted[k]) continue;
      const { jobId } = deadLetters[k]!;
      const kept = this.deadLetters.entryIdOfJob(jobId);
      this.stmt.linkDeadLetter.run(kept, Number(jobId));
      results[deadLetterResults[k]!] =
        kept === null ? { id: jobId, ok: true } : { id: jobId, ok: true, deadLetterId: kept };
    }
  }

  private readRows(failures: readonly JobFailure[]): Map<number, FailureRow> {
    let ids = '';
    let withPayload = 0;
    for (const failure of failures) {
      const id = Number(failure.id);
      if (Number.isSafeInteger(id)) ids += `${ids ? ',' : ''}${id}`;
      if (failure.outcome.kind === 'dead_letter') withPayload = 1;
    }
    const rows = new Map<number, FailureRow>();
    if (ids === '') return rows;
    for (const text of this.stmt.rows.all({ ids: `[${ids}]`, withPayload }) as string[]) {
      const row = JSON.parse(text) as FailureRow;
      rows.set(row[0], row);
    }
    return rows;
  }
}

/**
 * Whether a failure refused as not active is a resend of the one this token recorded: its attempt
 * is still the job's last, and the job is where that outcome put it.
 */
function isDuplicate(row: FailureRow, failure: JobFailure): boolean {
  const state = row[ROW_STATE];
  const landed =
    failure.outcome.kind === 'dead_letter'
      ? state === 'dead_lettered'
      : state === 'scheduled' || state === 'waiting';
  const attempts = row[ROW_ATTEMPTS];
  return (
    landed &&
    isSameAttempt(
      attempts === null ? null : (JSON.parse(attempts) as AttemptRecord[]).at(-1),
      failure.attempt,
    )
  );
}

/** Appends one attempt (JSON text) to a JSON array (text, or null) without parsing the array. */
export function appendAttemptJson(list: string | null, attemptJson: string): string {
  if (list === null || list === '' || list === '[]') return `[${attemptJson}]`;
  return `${list.slice(0, -1)},${attemptJson}]`;
}
