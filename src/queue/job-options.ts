/**
 * Validation of what `Queue.add` accepts. Hand-written rather than schema-driven because it runs
 * once per enqueued job on the hot path; every message names the offending field.
 */
import { ValidationError } from '../core/errors.js';
import { type Priority, priorityNumber } from '../core/job.js';
import { assertKnownKeys } from '../core/known-keys.js';
import { BACKOFF_OPTION_KEYS, type BackoffOptions, createRetryPolicy } from '../core/retry.js';
import type { NewJob } from '../store/job-store.js';

/** Per-job options. */
export interface JobOptions {
  /** `high` | `normal` | `low`, or 2 | 1 | 0. Higher runs first. Default `normal`. */
  priority?: Priority;
  /** Run no sooner than this many ms from now. */
  delay?: number;
  /** Run no sooner than this time (a Date or ms since the epoch). Overrides `delay`. */
  runAt?: Date | number;
  /** Total attempts before the job is dead-lettered (first run included). Default 3. */
  maxAttempts?: number;
  /** Abort the handler's signal and count a retryable failure after this many ms. */
  timeout?: number;
  /** Retry backoff. Default exponential from 1 s, ±20 % jitter, capped at 1 h. */
  backoff?: BackoffOptions;
  /** A second add with the same key (in the same queue) returns the first job instead of a new one. */
  idempotencyKey?: string;
  /**
   * String headers carried with the job to every attempt, its dead letter and its replays (the
   * handler reads them as `job.headers`). With tracing on, the trace context is added to them.
   * At most 64 entries and 8 KiB of JSON.
   */
  headers?: Record<string, string>;
}

/** Limits applied to every job of a queue. */
export interface JobLimits {
  maxPayloadBytes: number;
}

/** Every key of {@link JobOptions}; anything else is refused (a typo would otherwise be ignored). */
export const JOB_OPTION_KEYS: ReadonlySet<string> = new Set<keyof JobOptions>([
  'priority',
  'delay',
  'runAt',
  'maxAttempts',
  'timeout',
  'backoff',
  'idempotencyKey',
  'headers',
]);

const PRIORITIES = new Set<unknown>(['high', 'normal', 'low', 0, 1, 2]);
const MAX_NAME_LENGTH = 200;
const MAX_KEY_LENGTH = 512;
const MAX_HEADERS = 64;
const MAX_HEADERS_BYTES = 8192;

function assertInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be an integer between ${min} and ${max}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/** Serializes a payload, refusing what JSON cannot represent faithfully or what is too large. */
export function serializePayload(payload: unknown, limits: JobLimits, field = 'payload'): string {
  if (payload === undefined) throw new ValidationError(field, 'is required (use null for an empty payload)');
  let json: string | undefined;
  try {
    // A replacer takes JSON.stringify off its fast path (about twice the time for a small payload):
    // a payload that is plain JSON all through, the usual one, is stringified without it.
    json = isPlainJson(payload, 0) ? JSON.stringify(payload) : JSON.stringify(payload, rejectUnserializable);
  } catch (error) {
    if (error instanceof UnserializableValue) {
      const path = unserializablePath(payload);
      throw new ValidationError(
        path ? `${field}.${path}` : field,
        `${error.what} would not survive JSON; payloads hold plain objects, arrays, strings, finite numbers, booleans, null and Dates`,
      );
    }
    throw new ValidationError(field, `is not JSON-serializable (${(error as Error).message})`);
  }
  if (json === undefined) throw new ValidationError(field, 'is not JSON-serializable');
  // Byte length only matters when the string could be near the limit.
  if (json.length * 3 > limits.maxPayloadBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > limits.maxPayloadBytes) {
      throw new ValidationError(
        field,
        `is ${bytes} bytes, over the limit of ${limits.maxPayloadBytes} (maxPayloadBytes)`,
      );
    }
  }
  return json;
}

/** Deeper than this, a payload is left to the replacer (which also reports cycles). */
const PLAIN_DEPTH = 32;

/**
 * True when JSON.stringify keeps `value` exactly and rejectUnserializable would accept it:
 * strings, finite numbers, booleans, null, arrays without holes and objects of the plain or null
 * prototype holding only such values, none with a `toJSON`. False sends the payload through the
 * replacer, which converts Dates and names whatever JSON would not keep.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= PLAIN_DEPTH) return false;
      // JSON.stringify calls a toJSON the walk below does not see: one on an array, one not
      // enumerable, or one inherited from an Array subclass. The replacer refuses what it converts.
      if ('toJSON' in value) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

class UnserializableValue extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

/**
 * The full path (`order.lines.0.price`) of the value {@link rejectUnserializable} refuses, found by
 * a second, path-tracking pass. Runs only on the error path, so the hot path pays nothing for it.
 */
function unserializablePath(payload: unknown): string {
  const paths = new Map<unknown, string>();
  let path = '';
  try {
    JSON.stringify(payload, function (this: unknown, key: string, value: unknown) {
      const parent = paths.get(this);
      path = parent ? `${parent}.${key}` : key;
      if (typeof value === 'object' && value !== null) paths.set(value, path);
      return rejectUnserializable.call(this, key, value);
    });
  } catch {
    // Expected: it stops at the refused value, with `path` pointing at it.
  }
  return path;
}

/**
 * A `JSON.stringify` replacer that refuses every value JSON would change or drop, so that the
 * handler receives exactly what was added: `undefined` (dropped from objects, `null` in arrays),
 * functions and symbols, bigints, `NaN`/`Infinity` (`null`), and objects that are neither plain
 * objects nor arrays — `Map`/`Set` (`{}`), class instances (their prototype lost), typed arrays,
 * `Buffer`s and other values with a `toJSON`. The one conversion kept is `Date`, stored as its ISO
 * string. `this` is the holder: it still has the value from before `toJSON` ran.
 */
function rejectUnserializable(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (
    original !== value &&
    typeof original === 'object' &&
    original !== null &&
    !(original instanceof Date)
  ) {
    throw new UnserializableValue(`${describeInstance(original)} (converted by its toJSON)`);
  }
  const type = typeof value;
  if (type === 'object') {
    if (value === null || Array.isArray(value)) return value;
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return value;
    throw new UnserializableValue(describeInstance(value as object));
  }
  if (type === 'string' || type === 'boolean') return value;
  if (type === 'number') {
    if (!Number.isFinite(value as number)) throw new UnserializableValue(String(value));
    return value;
  }
  if (type === 'undefined') throw new UnserializableValue('undefined (use null, or leave the key out)');
  throw new UnserializableValue(`a ${type}`);
}

function describeInstance(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype';
}

/** Validates one job and turns it into the store's {@link NewJob}. */
export function buildNewJob(
  queue: string,
  name: unknown,
  payload: unknown,
  options: JobOptions | undefined,
  defaults: JobOptions,
  limits: JobLimits,
  now: number,
  replayOf: string | null = null,
): NewJob {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new ValidationError('name', `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  const payloadJson = serializePayload(payload, limits);
  if (options === undefined && defaults === EMPTY) {
    return {
      queue,
      name,
      payloadJson,
      priority: 1,
      runAt: now,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      timeoutMs: null,
      backoff: null,
      idempotencyKey: null,
      replayOf,
    };
  }
  if (options !== undefined) assertKnownKeys(options, JOB_OPTION_KEYS, 'options');
  const o = options === undefined ? defaults : { ...defaults, ...options };
  if (o.priority !== undefined && !PRIORITIES.has(o.priority)) {
    throw new ValidationError(
      'options.priority',
      `must be 'high', 'normal', 'low' or 0..2, got ${describe(o.priority)}`,
    );
  }
  let runAt = now;
  if (o.runAt !== undefined) {
    const at = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new ValidationError('options.runAt', 'must be a valid Date or a number of ms since the epoch');
    }
    runAt = Math.max(now, Math.floor(at));
  } else if (o.delay !== undefined) {
    runAt = now + assertInteger('options.delay', o.delay, 0);
  }
  const maxAttempts =
    o.maxAttempts === undefined
      ? DEFAULT_MAX_ATTEMPTS
      : assertInteger('options.maxAttempts', o.maxAttempts, 1, 1000);
  const timeoutMs = o.timeout === undefined ? null : assertInteger('options.timeout', o.timeout, 1);
  if (o.backoff !== undefined) {
    assertKnownKeys(o.backoff, BACKOFF_OPTION_KEYS, 'options.backoff');
    try {
      createRetryPolicy(o.backoff);
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new ValidationError(`options.${error.field}`, error.message.slice(error.field.length + 2));
      }
      throw error;
    }
  }
  if (
    o.idempotencyKey !== undefined &&
    (typeof o.idempotencyKey !== 'string' ||
      o.idempotencyKey.length === 0 ||
      o.idempotencyKey.length > MAX_KEY_LENGTH)
  ) {
    throw new ValidationError(
      'options.idempotencyKey',
      `must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
    );
  }
  const job: NewJob = {
    queue,
    name,
    payloadJson,
    priority: priorityNumber(o.priority),
    runAt,
    maxAttempts,
    timeoutMs,
    backoff: o.backoff ?? null,
    idempotencyKey: o.idempotencyKey ?? null,
    replayOf,
  };
  if (o.headers !== undefined) job.headers = assertHeaders(o.headers);
  return job;
}

/** Checks job headers: a plain object of string values, bounded in count and size. */
export function assertHeaders(headers: unknown, field = 'options.headers'): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new ValidationError(field, 'must be an object of string values');
  }
  let count = 0;
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new ValidationError(`${field}.${key}`, 'must be a string');
    if (key === '') throw new ValidationError(field, 'must not have an empty key');
    count++;
  }
  if (count > MAX_HEADERS) throw new ValidationError(field, `must have at most ${MAX_HEADERS} entries`);
  if (Buffer.byteLength(JSON.stringify(headers)) > MAX_HEADERS_BYTES) {
    throw new ValidationError(field, `must be at most ${MAX_HEADERS_BYTES} bytes of JSON`);
  }
  return headers as Record<string, string>;
}

/** The default number of attempts. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** The empty defaults object; identity-compared to take the fast path. */
export const EMPTY: JobOptions = Object.freeze({});

/** Validates a queue name. */
export function assertQueueName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][\w.:-]{0,127}$/.test(name)) {
    throw new ValidationError(
      'queue',
      'must be 1-128 characters of letters, digits, ".", ":", "_" or "-", starting with a letter or digit',
    );
  }
  return name;
}
