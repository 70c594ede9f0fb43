/**
 * Turning thrown values into something redrive can read: `describeThrown` for values `String()`
 * cannot convert, `readableCopy` for values whose reads throw (getters, Proxies). The copy must
 * classify as the original would have wherever the deciding fields could be read.
 */
import { describe, expect, it } from 'vitest';
import { describeThrown, readableCopy } from '../../src/core/as-error.js';
import { classifyError } from '../../src/core/classify.js';
import { PermanentError } from '../../src/core/errors.js';

const NOW = 1_800_000_000_000;

/** `error` with a getter of `key` that throws. */
function withThrowingGetter<T extends object>(error: T, key: string): T {
  Object.defineProperty(error, key, {
    get() {
      throw new Error(`${key} is not available`);
    },
  });
  return error;
}

describe('describeThrown', () => {
  it('describes a value String() cannot convert instead of throwing', () => {
    expect(describeThrown(Object.create(null))).toBe('[object Object]');
    expect(describeThrown('plain text')).toBe('plain text');
  });
});

describe('readableCopy', () => {
  it('keeps what decides the retry (a 429 and its Retry-After) when the stack cannot be read', () => {
    const error = withThrowingGetter(
      Object.assign(new Error('Too Many Requests'), {
        response: { status: 429, headers: new Headers({ 'Retry-After': '7' }) },
      }),
      'stack',
    );
    expect(() => classifyError(error, NOW)).not.toThrow();
    const copy = readableCopy(error);
    expect(copy.message).toBe('Too Many Requests (unreadable: stack)');
    expect(copy.stack).toBe('Error: Too Many Requests (unreadable: stack)');
    expect(classifyError(copy, NOW)).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 7000,
      reason: 'http_429',
    });
  });

  it('copies the cause chain, so a wrapped PermanentError stays permanent', () => {
    const error = withThrowingGetter(
      new Error('charge failed', { cause: new PermanentError('card declined') }),
      'message',
    );
    const copy = readableCopy(error);
    expect(copy.message).toMatch(/^\(unreadable: message/);
    expect((copy.cause as Error).message).toBe('card declined');
    expect(classifyError(copy, NOW)).toEqual({ kind: 'permanent', reason: 'cause:permanent_error' });
  });

  it('keeps an Error subclass when its prototype can be read, and its code and status', () => {
    const error = withThrowingGetter(Object.assign(new PermanentError('gone'), { code: 'E_GONE' }), 'status');
    const copy = readableCopy(error);
    expect(copy).toBeInstanceOf(PermanentError);
    expect(copy).toMatchObject({ name: 'PermanentError', code: 'E_GONE', status: undefined });
    expect(classifyError(copy, NOW)).toEqual({ kind: 'permanent', reason: 'permanent_error' });
  });

  it('makes an Error of a Proxy whose every read throws, and of a revoked Proxy', () => {
    const proxy = new Proxy(new Error('hidden'), {
      get() {
        throw new Error('no reads');
      },
      getPrototypeOf() {
        throw new Error('no prototype');
      },
    });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const value of [proxy, revocable.proxy]) {
      const copy = readableCopy(value);
      expect(copy).toBeInstanceOf(Error);
      expect(copy.message).toBe(
        '(unreadable: name, message, stack, code, status, statusCode, retryAfterMs, headers, response, cause)',
      );
      expect(classifyError(copy, NOW)).toEqual({ kind: 'retry', reason: 'unknown' });
    }
  });

  it('describes a primitive as its text', () => {
    expect(readableCopy(Symbol('gone')).message).toBe('Symbol(gone)');
    expect(readableCopy(42).message).toBe('42');
  });
});
