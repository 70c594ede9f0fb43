/**
 * Capture: turns a failed operation into a dead-letter record (validated, fingerprinted, secrets
 * redacted), and writes records to the store in group commits — every `store()` call made in the
 * same tick shares one transaction. A batch the store refuses goes to the fallback file.
 */
import { randomFillSync } from 'node:crypto';
import { asError, describeThrown, readableCopy } from '../core/as-error.js';
import type { Random } from '../core/clock.js';
import type { FailureType, NewDeadLetter } from '../core/dead-letter.js';
import { deadLetterFingerprint, FINGERPRINT_VERSION, stackWithCauses } from '../core/fingerprint.js';
import type { AttemptRecord } from '../core/job.js';
import { newDeadLetterId } from '../dead-letter-record/record.js';
import type { Redactor } from '../dead-letter-record/redact.js';
import type { Store } from '../store/store.js';
import { checkFailureInput } from './failure-input-check.js';
import type { FallbackFile } from './fallback.js';

/** A failed operation to record. Only `domain` and `failureType` are required. */
export interface FailureInput {
  /** An id of your own makes `store()` idempotent (a second call with it changes nothing). */
  id?: string;
  /** Business domain: `payment`, `webhook`, `email` ... */
  domain: string;
  /** Specific failure: `PG_TIMEOUT`, `AMOUNT_MISMATCH`, `permanent` ... */
  failureType: FailureType;
  entityType?: string | null;
  entityId?: string | number | null;
  userId?: string | number | null;
  /** The error itself: its class, message, code and stack are recorded and fingerprinted. */
  error?: unknown;
  errorCode?: string | null;
  /** Overrides the error's message. */
  errorMessage?: string;
  /** The operation's input (redacted before storage). */
  payload?: unknown;
  /** State to recover from. */
  snapshot?: unknown;
  requestData?: unknown;
  responseData?: unknown;
  metadata?: Record<string, unknown>;
  /** Guidance for operators. */
  nextActionHint?: string | null;
  /** Suggested action: `replay`, `manual_check` ... */
  recommendedAction?: string | null;
  /** Set these to let the default queue replay handler re-enqueue the operation as a job. */
  queue?: string | null;
  jobName?: string | null;
  jobId?: string | null;
  attempts?: AttemptRecord[];
  workerId?: string | null;
  handlerVersion?: string | null;
  /** Overrides the queue's `maxReplayAttempts` for this entry. */
  maxReplays?: number;
  /** Overrides the queue's expiry for this entry (ms after now); null never expires. */
  ttlMs?: number | null;
  firstFailedAt?: number;
}

/** What capture needs from the queue. */
export interface CaptureContext {
  now: number;
  random: Random;
  redact: Redactor | null;
  maxReplays: number;
  ttlMs: number;
  identity: string;
  handlerVersion: string | undefined;
}

/** What a dead letter records of the error it was given. */
interface DescribedError {
  errorClass: string | null;
  errorMessage: string;
  errorCode: string | null;
  stack: string | null;
}

/** Reads `input.error` (which may throw when read: a getter, a Proxy). */
function describeError(input: FailureInput): DescribedError {
  const error = input.error;
  const err = error instanceof Error ? error : null;
  const errorClass = err
    ? err.name || err.constructor?.name || 'Error'
    : error === undefined
      ? null
      : typeof error;
  const errorMessage =
    input.errorMessage ?? (err ? err.message : error === undefined ? '' : describeThrown(error));
  const code = input.errorCode ?? (err as { code?: unknown } | null)?.code;
  const errorCode = code === undefined || code === null ? null : describeThrown(code);
  return { errorClass, errorMessage, errorCode, stack: err ? stackWithCauses(err) : null };
}

/**
 * Builds the record to store.
 *
 * @throws ValidationError naming the offending field
 */
export function buildDeadLetter(input: FailureInput, ctx: CaptureContext): NewDeadLetter {
  checkFailureInput(input);
  let described: DescribedError;
  try {
    described = describeError(input);
  } catch {
    // A getter or Proxy trap of the error threw: record what a copy could read.
    described = describeError({ ...input, error: readableCopy(input.error) });
  }
  const { errorClass, errorMessage, errorCode, stack } = described;
  // The redactor returns a JSON-safe deep copy already; without it, a JSON round trip makes one.
  const redact = ctx.redact;
  const safe = (v: unknown) => (v === undefined ? null : redact ? redact(v) : jsonSafe(v));
  const ttl = input.ttlMs === undefined ? ctx.ttlMs : input.ttlMs;
  const text = (v: string | number | null | undefined) => (v === undefined || v === null ? null : String(v));
  return {
    id: input.id ?? newDeadLetterId(ctx.now, ctx.random),
    queue: input.queue ?? null,
    jobId: input.jobId ?? null,
    jobName: input.jobName ?? null,
    domain: input.domain,
    failureType: input.failureType,
    entityType: input.entityType ?? null,
    entityId: text(input.entityId),
    userId: text(input.userId),
    errorClass,
    errorCode,
    errorMessage,
    errorStack: stack,
    fingerprint: deadLetterFingerprint({
      errorClass,
      errorCode,
      errorMessage,
      errorStack: stack,
      failureType: input.failureType,
    }),
    fingerprintVersion: FINGERPRINT_VERSION,
    payload: safe(input.payload),
    attempts: input.attempts === undefined ? [] : (jsonSafe(input.attempts) as AttemptRecord[]),
    snapshot: safe(input.snapshot),
    requestData: safe(input.requestData),
    responseData: safe(input.responseData),
    metadata: (safe(input.metadata ?? {}) as Record<string, unknown>) ?? {},
    nextActionHint: input.nextActionHint ?? null,
    recommendedAction: input.recommendedAction ?? null,
    workerId: input.workerId ?? ctx.identity,
    handlerVersion: input.handlerVersion ?? ctx.handlerVersion ?? null,
    maxReplays: input.maxReplays ?? ctx.maxReplays,
    firstFailedAt: input.firstFailedAt ?? ctx.now,
    deadLetteredAt: ctx.now,
    expiresAt: ttl === null ? null : ctx.now + ttl,
  };
}

/**
 * Round-trips through JSON so that what is stored is exactly what will be read back; a bigint is
 * written as its decimal text. `JSON.stringify` without a replacer first: a replacer takes it off
 * its fast path (a third more instructions for a small payload), and only a value holding a
 * bigint, which it refuses, needs one.
 */
function jsonSafe(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    try {
      text = JSON.stringify(value, bigintAsText);
    } catch {
      return { unserializable: String(value) };
    }
  }
  return text === undefined ? null : JSON.parse(text);
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Randomness for record ids without a `crypto` call per id: random bytes are drawn 4 KiB at a time
 * (ids need uniqueness, not secrecy). `next()` is `Math.random`.
 */
export function createPooledRandom(): Random {
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  return {
    next: () => Math.random(),
    id: (bytes = 8) => {
      if (offset + bytes > pool.length) {
        randomFillSync(pool);
        offset = 0;
      }
      const out = pool.toString('hex', offset, offset + bytes);
      offset += bytes;
      return out;
    },
  };
}

/** The outcome of writing one record. */
export type WriteOutcome =
  /** In the store; `id` is the record's, or the existing one's when it was a duplicate (null if that could not be read). */
  | { kind: 'stored'; created: boolean; id: string | null }
  | { kind: 'fallback'; path: string; error: Error }
  | { kind: 'lost'; error: Error; fallbackError: Error | null };

interface Pending {
  record: NewDeadLetter;
  resolve: (outcome: WriteOutcome) => void;
}

/** Largest group commit. */
const MAX_BATCH = 1000;

/** Writes records to the store in group commits; falls back to the file when the store fails. */
export class DeadLetterWriter {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly fallback: FallbackFile | null,
    private readonly now: () => number,
  ) {}

  /** Queues a record for the next group commit; resolves with where it went. Never rejects. */
  write(record: NewDeadLetter): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve) => {
      this.pending.push({ record, resolve });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  /** Resolves when every write accepted so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const task = this.commit(batch).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const records = batch.map((p) => p.record);
    let created: Set<string>;
    try {
      created = new Set((await this.store.insertDeadLetters({ deadLetters: records, now: this.now() })).ids);
    } catch (storeError) {
      await this.fallBack(batch, asError(storeError));
      return;
    }
    await Promise.all(
      batch.map(async (p) => {
        if (created.has(p.record.id)) p.resolve({ kind: 'stored', created: true, id: p.record.id });
        else
          p.resolve({ kind: 'stored', created: false, id: await existingDeadLetterId(this.store, p.record) });
      }),
    );
  }

  private async fallBack(batch: Pending[], error: Error): Promise<void> {
    if (!this.fallback) {
      for (const p of batch) p.resolve({ kind: 'lost', error, fallbackError: null });
      return;
    }
    try {
      await this.fallback.append(
        batch.map((p) => p.record),
        error.message,
        this.now(),
      );
      for (const p of batch) p.resolve({ kind: 'fallback', path: this.fallback.path, error });
    } catch (fallbackError) {
      for (const p of batch) p.resolve({ kind: 'lost', error, fallbackError: asError(fallbackError) });
    }
  }
}

/**
 * The id of the record a duplicate matched: the one holding its job, else the one with its id.
 * Null when the store cannot say (the duplicate is not reported under an id that does not exist).
 */
async function existingDeadLetterId(store: Store, record: NewDeadLetter): Promise<string | null> {
  try {
    if (record.jobId) {
      const byJob = await store.getDeadLetterByJob({ jobId: record.jobId });
      if (byJob) return byJob.id;
    }
    return (await store.getDeadLetter({ id: record.id }))?.id ?? null;
  } catch {
    return null;
  }
}
