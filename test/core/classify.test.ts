import { describe, expect, it } from 'vitest';
import { classifyError, DEFAULT_RATE_LIMIT_DELAY_MS, parseRetryAfter } from '../../src/core/classify.js';
import {
  ClosedError,
  JobTimeoutError,
  LeaseLostError,
  NotFoundError,
  PermanentError,
  RateLimitedError,
  StoreUnavailableError,
  ValidationError,
} from '../../src/core/errors.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function httpError(status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status }, extra);
}

function withCode(code: string): Error {
  return Object.assign(new Error(code), { code });
}

class FakeHeaders {
  constructor(private readonly map: Record<string, string>) {}
  get(name: string): string | null {
    return this.map[name.toLowerCase()] ?? null;
  }
}

describe('parseRetryAfter', () => {
  it('parses delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter(3, NOW)).toBe(3000);
  });

  it('parses an IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('parses the RFC 850 and asctime forms (asctime read as GMT)', () => {
    expect(parseRetryAfter('Thursday, 01-Jan-26 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Thu Jan  1 12:00:10 2026', NOW)).toBe(10_000);
  });

  it('clamps past dates and negative deltas to 0', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 12:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('-5', NOW)).toBe(0);
    expect(parseRetryAfter(-2, NOW)).toBe(0);
  });

  it('uses the first value of an array', () => {
    expect(parseRetryAfter(['7', '9'], NOW)).toBe(7000);
  });

  it.each([
    undefined,
    null,
    '',
    '   ',
    'soon',
    'maybe later',
    '12abc',
    Number.NaN,
    {},
    Number.POSITIVE_INFINITY,
  ])('returns undefined for %o', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('classifyError', () => {
  it.each<[string, unknown, { kind: string; reason?: string; retryAfterMs?: number }]>([
    ['PermanentError', new PermanentError('no'), { kind: 'permanent', reason: 'permanent_error' }],
    [
      'ValidationError',
      new ValidationError('email', 'bad'),
      { kind: 'permanent', reason: 'validation_error' },
    ],
    ['RateLimitedError', new RateLimitedError('slow', 2500), { kind: 'rate_limited', retryAfterMs: 2500 }],
    [
      'RateLimitedError negative',
      new RateLimitedError('slow', -10),
      { kind: 'rate_limited', retryAfterMs: 0 },
    ],
    ['JobTimeoutError', new JobTimeoutError(1000), { kind: 'retry', reason: 'timeout' }],
    // A lost lease is not the job's fault: its 409 must not dead-letter a job another worker owns.
    ['LeaseLostError', new LeaseLostError('42'), { kind: 'retry', reason: 'lease_lost' }],
    // A closed queue or store (503) is the process going away, not a bad payload.
    ['ClosedError', new ClosedError('queue q is closed'), { kind: 'retry', reason: 'http_503' }],
    ['HTTP 400', httpError(400), { kind: 'permanent', reason: 'http_400' }],
    ['HTTP 401', httpError(401), { kind: 'permanent', reason: 'http_401' }],
    ['HTTP 404', httpError(404), { kind: 'permanent', reason: 'http_404' }],
    ['HTTP 422', httpError(422), { kind: 'permanent', reason: 'http_422' }],
    ['HTTP 408', httpError(408), { kind: 'retry', reason: 'http_408' }],
    ['HTTP 500', httpError(500), { kind: 'retry', reason: 'http_500' }],
    ['HTTP 503', httpError(503), { kind: 'retry', reason: 'http_503' }],
    [
      'statusCode',
      Object.assign(new Error('x'), { statusCode: 403 }),
      { kind: 'permanent', reason: 'http_403' },
    ],
    ['response.status', Object.assign(new Error('x'), { response: { status: 502 } }), { kind: 'retry' }],
    [
      'response.status 4xx',
      Object.assign(new Error('x'), { response: { status: 410 } }),
      { kind: 'permanent' },
    ],
    ['string status', Object.assign(new Error('x'), { status: '404' }), { kind: 'permanent' }],
    ['NotFoundError (404)', new NotFoundError('gone'), { kind: 'permanent', reason: 'http_404' }],
    ['StoreUnavailableError (503)', new StoreUnavailableError('down'), { kind: 'retry', reason: 'http_503' }],
    ['AbortError', new DOMException('aborted', 'AbortError'), { kind: 'retry', reason: 'timeout' }],
    ['TimeoutError', new DOMException('t', 'TimeoutError'), { kind: 'retry', reason: 'timeout' }],
    ['ECONNRESET', withCode('ECONNRESET'), { kind: 'retry', reason: 'network_ECONNRESET' }],
    ['ECONNREFUSED', withCode('ECONNREFUSED'), { kind: 'retry', reason: 'network_ECONNREFUSED' }],
    ['ETIMEDOUT', withCode('ETIMEDOUT'), { kind: 'retry', reason: 'network_ETIMEDOUT' }],
    ['EPIPE', withCode('EPIPE'), { kind: 'retry', reason: 'network_EPIPE' }],
    ['EAI_AGAIN', withCode('EAI_AGAIN'), { kind: 'retry', reason: 'network_EAI_AGAIN' }],
    ['ENOTFOUND', withCode('ENOTFOUND'), { kind: 'retry', reason: 'network_ENOTFOUND' }],
    ['unknown Error', new Error('boom'), { kind: 'retry', reason: 'unknown' }],
    ['unknown code', withCode('EWHATEVER'), { kind: 'retry', reason: 'unknown' }],
    ['thrown string', 'oops', { kind: 'retry', reason: 'non_error_thrown' }],
    ['thrown undefined', undefined, { kind: 'retry', reason: 'non_error_thrown' }],
    ['thrown null', null, { kind: 'retry', reason: 'non_error_thrown' }],
    ['thrown plain object with status', { status: 404 }, { kind: 'permanent', reason: 'http_404' }],
    [
      'out-of-range status ignored',
      Object.assign(new Error('x'), { status: 42 }),
      { kind: 'retry', reason: 'unknown' },
    ],
  ])('%s', (_, error, expected) => {
    expect(classifyError(error, NOW)).toMatchObject(expected);
  });

  describe('HTTP 429', () => {
    it('reads Retry-After delta-seconds from plain headers (case-insensitive)', () => {
      expect(classifyError(httpError(429, { headers: { 'Retry-After': '30' } }), NOW)).toEqual({
        kind: 'rate_limited',
        retryAfterMs: 30_000,
        reason: 'http_429',
      });
    });

    it('reads an HTTP-date Retry-After from response.headers relative to now', () => {
      const err = Object.assign(new Error('x'), {
        response: { status: 429, headers: { 'retry-after': 'Thu, 01 Jan 2026 12:02:00 GMT' } },
      });
      expect(classifyError(err, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000 });
      expect(classifyError(err, NOW + 60_000)).toMatchObject({ retryAfterMs: 60_000 });
    });

    it('reads a Headers-like object with get()', () => {
      const err = Object.assign(new Error('x'), {
        response: { status: 429, headers: new FakeHeaders({ 'retry-after': '5' }) },
      });
      expect(classifyError(err, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 5000 });
    });

    it('reads a real fetch Headers / thrown Response', () => {
      const response = new Response(null, { status: 429, headers: { 'Retry-After': '9' } });
      expect(classifyError(response, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 9000 });
    });

    it('clamps a past HTTP-date to 0', () => {
      const err = httpError(429, { headers: { 'retry-after': 'Thu, 01 Jan 2026 11:00:00 GMT' } });
      expect(classifyError(err, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 0 });
    });

    it.each([undefined, 'later', ''])('falls back to the default for Retry-After %o', (value) => {
      const err = httpError(429, value === undefined ? {} : { headers: { 'retry-after': value } });
      expect(classifyError(err, NOW)).toEqual({
        kind: 'rate_limited',
        retryAfterMs: DEFAULT_RATE_LIMIT_DELAY_MS,
        reason: 'http_429',
      });
    });
  });

  describe('cause chains', () => {
    it('classifies a wrapped PermanentError as permanent', () => {
      const err = new Error('wrapper', { cause: new PermanentError('inner') });
      expect(classifyError(err, NOW)).toEqual({ kind: 'permanent', reason: 'cause:permanent_error' });
    });

    it('finds a network code in fetch-style causes', () => {
      const err = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
      expect(classifyError(err, NOW)).toEqual({ kind: 'retry', reason: 'cause:network_ECONNREFUSED' });
    });

    it('prefers the outer rule over the cause', () => {
      const err = new PermanentError('outer', { cause: withCode('ECONNRESET') });
      expect(classifyError(err, NOW).kind).toBe('permanent');
    });

    it('terminates on a cyclic cause', () => {
      const a = new Error('a') as Error & { cause?: unknown };
      const b = new Error('b', { cause: a });
      a.cause = b;
      expect(classifyError(a, NOW)).toEqual({ kind: 'retry', reason: 'unknown' });
    });
  });
});
