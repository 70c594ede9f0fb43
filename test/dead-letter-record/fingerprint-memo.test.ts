import { describe, expect, it } from 'vitest';
import { deadLetterFingerprint } from '../../src/core/fingerprint.js';
import { type FingerprintInput, FingerprintMemo } from '../../src/dead-letter-record/fingerprint-memo.js';

function input(
  message: string,
  stack = `Error: ${message}\n    at handler (/app/src/orders.ts:10:5)`,
): FingerprintInput {
  return {
    errorClass: 'Error',
    errorCode: null,
    errorMessage: message,
    errorStack: stack,
    failureType: 'permanent',
  };
}

describe('FingerprintMemo', () => {
  it('returns what a fresh computation returns, for a repeat and for a different error', () => {
    const memo = new FingerprintMemo();
    const first = input('order 17 was rejected');
    expect(memo.fingerprint(first)).toBe(deadLetterFingerprint(first));
    expect(memo.fingerprint({ ...first })).toBe(deadLetterFingerprint(first));
    const other = input('payment declined', 'Error: payment declined\n    at pay (/app/src/pay.ts:3:1)');
    expect(memo.fingerprint(other)).toBe(deadLetterFingerprint(other));
    expect(memo.fingerprint(other)).not.toBe(memo.fingerprint(first));
    expect(memo.size).toBe(2);
  });

  it('tells apart errors with one stack text but another code, class, type or message', () => {
    const memo = new FingerprintMemo();
    const stack = 'Error: declined\n    at pay (/app/src/pay.ts:3:1)';
    const base = input('declined', stack);
    const variants: FingerprintInput[] = [
      base,
      { ...base, errorCode: 'E_CARD' },
      { ...base, errorClass: 'TypeError' },
      { ...base, failureType: 'retries_exhausted' },
      { ...base, errorMessage: 'declined twice' },
      { ...base, errorStack: null },
    ];
    for (let round = 0; round < 2; round++) {
      for (const v of variants) expect(memo.fingerprint({ ...v })).toBe(deadLetterFingerprint(v));
    }
    expect(memo.size).toBe(variants.length);
  });

  it('remembers at most its capacity, forgetting the oldest first', () => {
    const memo = new FingerprintMemo(2);
    memo.fingerprint(input('a'));
    memo.fingerprint(input('b'));
    memo.fingerprint(input('c'));
    expect(memo.size).toBe(2);
    expect(memo.fingerprint(input('a'))).toBe(deadLetterFingerprint(input('a')));
  });

  it('keeps one memo per instance: a second memo starts empty', () => {
    const one = new FingerprintMemo();
    one.fingerprint(input('a'));
    expect(new FingerprintMemo().size).toBe(0);
    expect(one.size).toBe(1);
  });
});
