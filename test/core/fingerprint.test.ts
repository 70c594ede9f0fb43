import { describe, expect, it } from 'vitest';
import { errorFingerprint, normalizeErrorMessage, topStackFrames } from '../../src/core/fingerprint.js';

describe('error fingerprints', () => {
  it('masks ids, numbers, emails, urls and quoted values so one bug groups together', () => {
    expect(
      normalizeErrorMessage('order 1234 for ada@example.com failed at https://api.x.io/v1/o/9?x=1'),
    ).toBe('order <n> for <email> failed at <url>');
    expect(normalizeErrorMessage('user 3f2a9c1e-0b7d-4c1e-9a2b-1c2d3e4f5a6b not found: "Ada"')).toBe(
      'user <uuid> not found: <str>',
    );
  });

  it('keeps the function and file of the top frames but not line numbers', () => {
    const stack =
      'Error: x\n    at charge (/app/src/billing.ts:10:5)\n    at run (/app/src/worker.ts:99:1)\n    at /app/x.js:1:1';
    expect(topStackFrames(stack)).toEqual(['charge@billing.ts', 'run@worker.ts', '<anonymous>@x.js']);
    const moved = stack.replace(':10:5', ':42:7');
    const a = errorFingerprint({ errorClass: 'Error', message: 'card 4242 declined', stack });
    expect(errorFingerprint({ errorClass: 'Error', message: 'card 1111 declined', stack: moved })).toBe(a);
    expect(errorFingerprint({ errorClass: 'TypeError', message: 'card 4242 declined', stack })).not.toBe(a);
    expect(errorFingerprint({ errorClass: 'Error', message: 'card 4242 expired', stack })).not.toBe(a);
  });
});
