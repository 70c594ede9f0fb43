/**
 * Jobs <-> Redis: the arguments of insert-jobs.lua, and the job hash (field names in
 * lua/lib/jobs.lua) and claim rows read back into {@link Job} and {@link ClaimedJob}.
 */

import { ValidationError } from '../../core/errors.js';
import type { AttemptRecord, ClaimedJob, Job, JobState } from '../../core/job.js';
import type { InsertJobResult, NewJob } from '../job-store.js';
import { headersJson, sameJobAttributes } from '../new-job-batch.js';

type Field = string | null;

const parseJson = (text: Field | undefined): unknown =>
  text === null || text === undefined || text === '' ? null : JSON.parse(text);
const numberOr = (text: Field | undefined, fallback: number): number =>
  text === null || text === undefined || text === '' ? fallback : Number(text);
const numberOrNull = (text: Field | undefined): number | null =>
  text === null || text === undefined || text === '' ? null : Number(text);
const stringOrNull = (text: Field | undefined): string | null =>
  text === null || text === undefined || text === '' ? null : text;

const JOB_STATES_SET: ReadonlySet<string> = new Set([
  'scheduled',
  'waiting',
  'active',
  'completed',
  'dead_lettered',
]);

function fail(index: number, field: string, message: string): never {
  throw new ValidationError(`jobs[${index}].${field}`, message);
}

/**
 * Checks every job of a batch before anything is sent: a script that failed half-way would leave
 * half a batch behind (Redis does not roll a script back), so all validation happens here.
 */
export function validateNewJobs(jobs: readonly NewJob[]): void {
  jobs.forEach((job, i) => {
    if (job === null || typeof job !== 'object') fail(i, 'job', 'must be an object');
    if (typeof job.queue !== 'string' || job.queue === '') fail(i, 'queue', 'must be a non-empty string');
    if (typeof job.name !== 'string') fail(i, 'name', 'must be a string');
    if (typeof job.payloadJson !== 'string' || job.payloadJson === '')
      fail(i, 'payloadJson', 'must be a JSON text');
    if (job.priority !== 0 && job.priority !== 1 && job.priority !== 2)
      fail(i, 'priority', 'must be 0, 1 or 2');
    if (typeof job.runAt !== 'number' || !Number.isFinite(job.runAt))
      fail(i, 'runAt', 'must be a finite number');
    if (!Number.isSafeInteger(job.maxAttempts)) fail(i, 'maxAttempts', 'must be an integer');
    if (job.timeoutMs !== null && (typeof job.timeoutMs !== 'number' || !Number.isFinite(job.timeoutMs)))
      fail(i, 'timeoutMs', 'must be a finite number or null');
    if (job.backoff !== null && (typeof job.backoff !== 'object' || job.backoff === undefined))
      fail(i, 'backoff', 'must be an object or null');
    if (job.idempotencyKey !== null && typeof job.idempotencyKey !== 'string')
      fail(i, 'idempotencyKey', 'must be a string or null');
    if (job.replayOf !== null && (typeof job.replayOf !== 'string' || job.replayOf === ''))
      fail(i, 'replayOf', 'must be a non-empty string or null');
    if (job.headers != null && typeof job.headers !== 'object')
      fail(i, 'headers', 'must be an object or null');
  });
}

/**
 * The start of field `d` (see lua/lib/jobs.lua): `[name, priority, maxAttempts, timeoutMs, backoff,
 * idempotencyKey, replayOf,` — the script appends createdAt and the closing bracket. A job with
 * headers has them after a newline (which JSON text never holds raw): the script puts them after
 * createdAt, so a job without headers is stored exactly as before they existed.
 */
function head(job: NewJob): string {
  const text = JSON.stringify([
    job.name,
    job.priority,
    job.maxAttempts,
    job.timeoutMs,
    job.backoff,
    job.idempotencyKey,
    job.replayOf,
  ]);
  const headers = headersJson(job);
  return headers === null ? `${text.slice(0, -1)},` : `${text.slice(0, -1)},\n${headers}`;
}

/** Whether jobs[start..end) differ in nothing but their payload and carry no idempotency key. */
export function uniformRun(jobs: readonly NewJob[], start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (jobs[i]!.idempotencyKey !== null) return false;
  return sameJobAttributes(jobs, start, end);
}

/** The mode and ARGV (after base, clock mode and now) of insert-jobs.lua for jobs[start..end). */
export function insertArgs(jobs: readonly NewJob[], start: number, end: number): (string | number)[] {
  if (uniformRun(jobs, start, end)) {
    const a = jobs[start]!;
    const args: (string | number)[] = [
      'uniform',
      a.queue,
      a.priority,
      Math.round(a.runAt),
      head(a),
      end - start,
    ];
    for (let i = start; i < end; i++) args.push(jobs[i]!.payloadJson);
    return args;
  }
  const args: (string | number)[] = ['mixed', end - start];
  for (let i = start; i < end; i++) {
    const job = jobs[i]!;
    args.push(
      job.queue,
      job.priority,
      Math.round(job.runAt),
      head(job),
      job.payloadJson,
      job.idempotencyKey === null ? '' : `=${job.idempotencyKey}`,
    );
  }
  return args;
}

/**
 * One reply of insert-jobs.lua: `[firstId, count]` for a uniform run (all created, consecutive
 * ids), or `[ids, outcomes]`.
 */
export type InsertReply = [number, number] | [string[], string[]];

/** The results of an insert, in job order, from the replies of its chunks. */
export function insertResults(replies: readonly InsertReply[], total: number): InsertJobResult[] {
  const out: InsertJobResult[] = new Array(total);
  let i = 0;
  for (const reply of replies) {
    if (typeof reply[0] === 'number') {
      const [first, count] = reply as [number, number];
      for (let j = 0; j < count; j++) out[i++] = { id: String(first + j), created: true };
    } else {
      const [ids, outcomes] = reply as [string[], string[]];
      for (let j = 0; j < ids.length; j++) out[i++] = { id: ids[j]!, created: outcomes[j] === 'created' };
    }
  }
  return out;
}

/** A flat field/value list (as HGETALL inside a script returns it) as a record. */
export function fieldsToRecord(flat: readonly (string | null)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = flat[i + 1];
    if (value !== null && value !== undefined) out[flat[i]!] = value;
  }
  return out;
}

/**
 * Field `d` parsed: name, priority, maxAttempts, timeoutMs, backoff, idempotencyKey, replayOf,
 * createdAt, and headers when the job has any.
 */
type Fixed = [
  name: string,
  priority: 0 | 1 | 2,
  maxAttempts: number,
  timeoutMs: number | null,
  backoff: Job['backoff'],
  idempotencyKey: string | null,
  replayOf: string | null,
  createdAt: number,
  headers?: Record<string, string>,
];

/**
 * When and by which worker a job was last claimed. Claims write `ws` = `<startedAt>:<seq>:<workerId>`
 * (holder in lib/jobs.lua); an earlier version's claim wrote `sa` and `w`, which count while `w` is
 * set (every step back to waiting clears `w`). The worker of a waiting or scheduled job is none.
 */
function holderOf(
  state: JobState,
  h: Record<string, string>,
): { startedAt: number | null; workerId: string | null } {
  const match = h.w || !h.ws ? undefined : /^(\d*):\d*:(.*)$/s.exec(h.ws);
  if (!match) return { startedAt: numberOrNull(h.sa), workerId: stringOrNull(h.w) };
  const waiting = state === 'waiting' || state === 'scheduled';
  return { startedAt: numberOrNull(match[1]), workerId: waiting ? null : stringOrNull(match[2]) };
}

/**
 * Attempts made. A completion does not write `am`: a completed job's count is its token's attempt
 * (`<attempt>:<claimId>`, the attempt the completion ended); earlier versions wrote the same in `am`.
 */
function attemptsMadeOf(state: JobState, h: Record<string, string>): number {
  const attempt = state === 'completed' && h.tk ? /^(\d+):/.exec(h.tk) : null;
  return attempt ? Number(attempt[1]) : numberOr(h.am, 0);
}

/**
 * Whether a job hash (HGETALL) is a job: one without its queue, fixed attributes or payload (q, d,
 * p, which every insert writes) is gone or a remnant of one (see delete_job_remnant in
 * lua/lib/jobs.lua), and reads as no job.
 */
export function isJobHash(h: Record<string, string>): boolean {
  return h.q !== undefined && h.d !== undefined && h.p !== undefined;
}

/** A job hash (HGETALL) as a {@link Job}. */
export function jobFromHash(id: string, h: Record<string, string>): Job {
  const state = h.s as JobState;
  if (!JOB_STATES_SET.has(state)) throw new Error(`redrive: job ${id} has no valid state in Redis`);
  const d = JSON.parse(h.d!) as Fixed;
  const { startedAt, workerId } = holderOf(state, h);
  return {
    id,
    queue: h.q!,
    name: d[0],
    payload: JSON.parse(h.p!),
    state,
    priority: d[1],
    attemptsMade: attemptsMadeOf(state, h),
    maxAttempts: d[2],
    orphanCount: numberOr(h.oc, 0),
    suspect: h.sus === '1',
    rateLimitDelays: numberOr(h.rl, 0),
    // No ra: due when created (format 3, lua/lib/jobs.lua).
    runAt: numberOr(h.ra, d[7]),
    createdAt: d[7],
    startedAt,
    finishedAt: numberOrNull(h.fa),
    // A lease exists only while the job is active (completion leaves the field behind).
    leaseExpiresAt: state === 'active' ? numberOrNull(h.le) : null,
    workerId,
    timeoutMs: d[3],
    backoff: d[4],
    idempotencyKey: d[5],
    result: parseJson(h.r),
    progress: parseJson(h.pg),
    attempts: (parseJson(h.at) as AttemptRecord[] | null) ?? [],
    deadLetterId: stringOrNull(h.dl),
    replayOf: d[6],
    headers: d[8] ?? null,
  };
}

/**
 * One job of a claim (lua/lib/claim.lua): id, attemptsMade, orphanCount, rateLimitDelays, runAt
 * (null: createdAt), attempts, d (0 when it is the previous job's), payload.
 */
export type ClaimRow = [
  id: string,
  attemptsMade: number,
  orphanCount: number,
  rateLimitDelays: number,
  runAt: number | null,
  attempts: AttemptRecord[] | null,
  fixed: Fixed | 0,
  payload: unknown,
];

/**
 * Field d of a job whose claim row repeated the previous job's: the same parsed array, with its
 * objects (backoff, headers) copied so that no two jobs share one a handler could change.
 */
function repeatedFixed(d: Fixed): Fixed {
  if (d[4] === null && d[8] === undefined) return d;
  const copy = d.slice() as Fixed;
  if (copy[4] !== null) copy[4] = { ...copy[4] };
  if (copy[8] !== undefined) copy[8] = { ...copy[8] };
  return copy;
}

/**
 * Builds the {@link ClaimedJob}s of a claim from its reply (the pieces of one JSON text, see
 * lua/lib/claim.lua) and the claim's own values.
 */
export function claimedJobsFromJson(
  pieces: readonly string[],
  queue: string,
  workerId: string,
  claimId: string,
  leaseExpiresAt: number,
  now: number,
  suspect = false,
): ClaimedJob[] {
  if (pieces.length === 0) return [];
  const rows = JSON.parse(pieces.length === 1 ? pieces[0]! : pieces.join('')) as ClaimRow[];
  const jobs: ClaimedJob[] = new Array(rows.length);
  let previous: Fixed | undefined;
  for (let i = 0; i < rows.length; i++) {
    const [id, attemptsMade, orphanCount, rateLimitDelays, runAt, attempts, fixed, payload] = rows[i]!;
    const d: Fixed = fixed === 0 ? repeatedFixed(previous!) : fixed;
    previous = d;
    jobs[i] = {
      id,
      queue,
      name: d[0],
      payload,
      state: 'active',
      priority: d[1],
      attemptsMade,
      maxAttempts: d[2],
      orphanCount,
      suspect,
      rateLimitDelays,
      runAt: runAt ?? d[7],
      createdAt: d[7],
      startedAt: now,
      finishedAt: null,
      leaseExpiresAt,
      workerId,
      timeoutMs: d[3],
      backoff: d[4],
      idempotencyKey: d[5],
      result: null,
      // Not read by a claim (a handler reports progress; it does not read the last attempt's).
      progress: null,
      attempts: attempts ?? [],
      deadLetterId: null,
      replayOf: d[6],
      headers: d[8] ?? null,
      token: `${attemptsMade + 1}:${claimId}`,
    };
  }
  return jobs;
}

/** A value as `JSON.stringify` writes it inside an array (`undefined` as `null`). */
function jsonItem(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value) ?? 'null';
}

/**
 * The signature fail-job.lua compares to tell a resent failure from a new one: the JSON text of
 * `[attempt, outcome, startedAt, endedAt, workerId]`, written item by item (one per failure of a
 * storm; an array built for `JSON.stringify` cost more than the text).
 */
export function attemptSignature(attempt: AttemptRecord): string {
  return `[${jsonItem(attempt.attempt)},${jsonItem(attempt.outcome)},${jsonItem(attempt.startedAt)},${jsonItem(attempt.endedAt)},${jsonItem(attempt.workerId)}]`;
}
