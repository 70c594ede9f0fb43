/**
 * Error classification: decides whether a failed attempt is retried, dead-lettered at once, or
 * rescheduled after a rate limit without spending an attempt. Pure; `now` is passed in so that an
 * HTTP-date `Retry-After` resolves against the injected clock.
 */

import {
  JobTimeoutError,
  LeaseLostError,
  PermanentError,
  RateLimitedError,
  ValidationError,
} from './errors.js';

/** The outcome of {@link classifyError}. `reason` is a short, stable, machine-readable string. */
export type Classification =
  | { kind: 'retry'; reason: string }
  | { kind: 'permanent'; reason: string }
  | { kind: 'rate_limited'; retryAfterMs: number; reason: string };

/** Delay used for a 429 whose `Retry-After` is missing or unparseable. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 1000;

/** Error names treated as timeouts or cancellations (retryable). */
const RETRYABLE_NAMES: ReadonlySet<string> = new Set(['JobTimeoutError', 'AbortError', 'TimeoutError']);

/** Node.js / undici error codes for transient network failures (retryable). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** How deep {@link classifyError} follows `cause` chains of otherwise unrecognised errors. */
const MAX_CAUSE_DEPTH = 5;

const MONTH = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/i;
const ZONE = /(gmt|utc|z|[+-]\d{2}:?\d{2})\s*$/i;
const DELTA_SECONDS = /^\s*-?\d+(\.\d+)?\s*$/;

/**
 * Parses an HTTP `Retry-After` value into a delay in milliseconds from `now`.
 *
 * Accepts delta-seconds (`"120"`, or a number of seconds) and HTTP-dates
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`, RFC 850 and asctime forms; a date without a zone is read as
 * GMT). A first element is used when given an array of header values. Dates in the past and negative
 * deltas clamp to 0.
 *
 * @returns the delay in whole milliseconds, or `undefined` when the value is missing or invalid
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (Array.isArray(value)) return parseRetryAfter(value[0], now);
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.max(0, Math.ceil(value * 1000)) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) return Math.max(0, Math.ceil(Number(text) * 1000));
  if (!MONTH.test(text)) return undefined;
  const at = Date.parse(ZONE.test(text) ? text : `${text} GMT`);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, Math.ceil(at - now));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function asStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** The HTTP status an error carries in `status`, `statusCode`, `response.status` or `response.statusCode`. */
function httpStatus(err: Record<string, unknown>): number | undefined {
  const response = isObject(err.response) ? err.response : undefined;
  return (
    asStatus(err.status) ??
    asStatus(err.statusCode) ??
    asStatus(response?.status) ??
    asStatus(response?.statusCode)
  );
}

/** Reads one header from a plain object (case-insensitive) or a `Headers`-like object with `get`. */
function readHeader(headers: unknown, name: string): unknown {
  if (!isObject(headers)) return undefined;
  if (typeof headers.get === 'function') {
    try {
      const v = (headers.get as (n: string) => unknown).call(headers, name);
      if (v !== undefined && v !== null) return v;
    } catch {
      // not a Headers-like getter; fall back to property lookup
    }
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

function retryAfterOf(err: Record<string, unknown>, now: number): number | undefined {
  const response = isObject(err.response) ? err.response : undefined;
  return (
    parseRetryAfter(readHeader(err.headers, 'retry-after'), now) ??
    parseRetryAfter(readHeader(response?.headers, 'retry-after'), now)
  );
}

function classifyOnce(error: unknown, now: number): Classification | undefined {
  if (error instanceof PermanentError) return { kind: 'permanent', reason: 'permanent_error' };
  if (error instanceof ValidationError) return { kind: 'permanent', reason: 'validation_error' };
  // Schema validators (zod, ajv, yup, joi) name their errors so; bad input never gets better on retry.
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'ZodError' || name === 'ValidationError' || name === 'AjvValidationError') {
    return { kind: 'permanent', reason: 'validation_error' };
  }
  if (error instanceof RateLimitedError) {
    const ms = Number.isFinite(error.retryAfterMs)
      ? Math.max(0, error.retryAfterMs)
      : DEFAULT_RATE_LIMIT_DELAY_MS;
    return { kind: 'rate_limited', retryAfterMs: ms, reason: 'rate_limited_error' };
  }
  if (error instanceof JobTimeoutError) return { kind: 'retry', reason: 'timeout' };
  // Its 409 would read as permanent; the job is another worker's now, so nothing is dead-lettered.
  if (error instanceof LeaseLostError) return { kind: 'retry', reason: 'lease_lost' };
  if (!isObject(error)) return undefined;

  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 429) {
      return {
        kind: 'rate_limited',
        retryAfterMs: retryAfterOf(error, now) ?? DEFAULT_RATE_LIMIT_DELAY_MS,
        reason: 'http_429',
      };
    }
    if (status === 408) return { kind: 'retry', reason: 'http_408' };
    if (status >= 400 && status < 500) return { kind: 'permanent', reason: `http_${status}` };
    if (status >= 500) return { kind: 'retry', reason: `http_${status}` };
  }
  if (typeof error.name === 'string' && RETRYABLE_NAMES.has(error.name)) {
    return { kind: 'retry', reason: 'timeout' };
  }
  if (typeof error.code === 'string' && RETRYABLE_CODES.has(error.code)) {
    return { kind: 'retry', reason: `network_${error.code}` };
  }
  return undefined;
}

/**
 * Classifies a thrown value:
 * - `PermanentError`, `ValidationError`, HTTP 4xx other than 408/429 → `permanent`;
 * - `RateLimitedError` (its `retryAfterMs`) and HTTP 429 (its `Retry-After`, from `headers` or
 *   `response.headers`, else {@link DEFAULT_RATE_LIMIT_DELAY_MS}) → `rate_limited`;
 * - HTTP 408 and 5xx, `JobTimeoutError` / `AbortError` / `TimeoutError`, and transient network codes
 *   (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, `ENOTFOUND`, ...) → `retry`;
 * - anything else, including non-`Error` throws → `retry` (`reason: 'unknown'`).
 *
 * The HTTP status is read from `status`, `statusCode`, `response.status` or `response.statusCode`.
 * When the thrown value itself matches no rule its `cause` chain is examined (a wrapped
 * `PermanentError` stays permanent); the reason is then prefixed with `cause:`.
 *
 * @param now current time (ms since the epoch), used to resolve an HTTP-date `Retry-After`
 */
export function classifyError(error: unknown, now: number): Classification {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && !seen.has(current); depth++) {
    seen.add(current);
    const found = classifyOnce(current, now);
    if (found) return depth === 0 ? found : { ...found, reason: `cause:${found.reason}` };
    if (!isObject(current) || !('cause' in current)) break;
    current = current.cause;
  }
  return { kind: 'retry', reason: error instanceof Error ? 'unknown' : 'non_error_thrown' };
}
