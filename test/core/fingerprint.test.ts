import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deadLetterFingerprint,
  errorFingerprint,
  FINGERPRINT_VERSION,
  failureSignature,
  normalizeErrorMessage,
  stackWithCauses,
  topStackFrames,
} from '../../src/core/fingerprint.js';

const same = (a: string, b: string) => expect(normalizeErrorMessage(a)).toBe(normalizeErrorMessage(b));
const apart = (a: string, b: string) => expect(normalizeErrorMessage(a)).not.toBe(normalizeErrorMessage(b));

describe('message parameterization', () => {
  it('masks ids of every common shape', () => {
    same('upstream timed out after 3021ms', 'upstream timed out after 29987ms');
    same('request req_8f7a6b5c4d3e failed', 'request req_1a2b3c4d5e6f failed');
    same("No such charge: 'ch_3NwX8r2eZvKYlo2C1a2b3c4d'", "No such charge: 'ch_1AbCdEfGh2IjKlMn3OpQrStU'");
    same('txn 0x1f3a reverted', 'txn 0xdeadbeef0042 reverted');
    same('user 3f2a9c1e-0b7d-4c1e-9a2b-1c2d3e4f5a6b gone', 'user 00000000-1111-4222-a333-444455556666 gone');
    same('doc 64b7f0c2e1a3b4c5d6e7f809 gone', 'doc 650a1b2c3d4e5f6a7b8c9d0e gone');
    same(
      'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-1_x bad',
      'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIyIn0.other bad',
    );
    same('body aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ= bad', 'body eyJhIjoxfQ1234567890abcdefABCDEF== bad');
    same('connect ECONNREFUSED 10.0.0.5:5432', 'connect ECONNREFUSED 10.0.3.17:5432');
    same('connect ECONNREFUSED ::1:6379', 'connect ECONNREFUSED [fe80::1%eth0]:6379');
    same('mail to ada@example.com failed', 'mail to grace.hopper+x@mail.example.org failed');
    same('see https://api.x.io/v1/o/9?x=1', 'see http://localhost:3000/health');
    same('NoSuchKey: invoices/2026/12/06/inv_8f7a.pdf', 'NoSuchKey: invoices/2025/01/31/inv_0c1d.pdf');
    same('expired at Sun, 06 Dec 2026 09:01:02 GMT', 'expired at Mon, 7 Dec 2026 23:59:59 GMT');
    same('at 2026-12-06T09:01:02.123Z', 'at 2025-01-01 00:00:00');
    same('since 1733475662123', 'since 1700000000');
    same('took 950ms', 'took 1.2s');
    same('amount 1,234.56 over', 'amount 12 over');
  });

  it('keeps what tells failures apart', () => {
    apart('Request failed with status code 404', 'Request failed with status code 503');
    apart('upstream answered 422 Unprocessable Entity', 'upstream answered 409 Conflict');
    apart('statusCode=502', 'statusCode=504');
    apart('connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED 127.0.0.1:6379');
    apart('connect ECONNREFUSED 10.0.0.1:5432', 'connect ETIMEDOUT 10.0.0.1:5432');
    apart('violates unique constraint "users_email_key"', 'violates unique constraint "users_username_key"');
    apart('relation "orders" does not exist', 'relation "invoices" does not exist');
    apart("Duplicate entry 'x' for key 'users.email'", "Duplicate entry 'x' for key 'orders.PRIMARY'");
    apart(
      "Cannot read properties of undefined (reading 'id')",
      "Cannot read properties of undefined (reading 'email')",
    );
    apart(
      'Unique constraint failed on the fields: (`email`)',
      'Unique constraint failed on the fields: (`handle`)',
    );
    apart('getaddrinfo ENOTFOUND api.stripe.com', 'getaddrinfo ENOTFOUND hooks.slack.com');
    apart('invalid sha256 digest', 'invalid md5 digest');
  });

  it('masks quoted data values but keeps quoted names of code', () => {
    expect(normalizeErrorMessage("Duplicate entry 'ada@example.com' for key 'users.email'")).toBe(
      "Duplicate entry '<str>' for key 'users.email'",
    );
    expect(normalizeErrorMessage('invalid input syntax for type uuid: "abc"')).toBe(
      'invalid input syntax for type uuid: "<str>"',
    );
    expect(normalizeErrorMessage("User 'Ada Lovelace' not found")).toBe("User '<str>' not found");
    expect(normalizeErrorMessage('Refer to "maxRetriesPerRequest" option')).toBe(
      'Refer to "maxRetriesPerRequest" option',
    );
    expect(normalizeErrorMessage("it doesn't matter, the user's card can't pay")).toBe(
      "it doesn't matter, the user's card can't pay",
    );
  });

  it('stays linear on hostile input', () => {
    const hostile = [
      'a'.repeat(100_000),
      `${'"'.repeat(50_000)}x`,
      `${'1.'.repeat(50_000)}x`,
      `${'a@'.repeat(50_000)}`,
      `${'0'.repeat(100_000)}ms`,
      `${"'a".repeat(50_000)}`,
      `${'x:'.repeat(50_000)}`,
      `${'Sun, 06 Dec '.repeat(5000)}`,
    ];
    for (const text of hostile) expect(normalizeErrorMessage(text).length).toBeLessThanOrEqual(500);
  });
});

const APP_STACK = [
  'error: duplicate key value violates unique constraint "users_email_key"',
  '    at /app/node_modules/pg/lib/client.js:545:17',
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '    at async UserRepo.insertUser (/app/src/users/repo.ts:31:5)',
  '    at async signup (/app/src/jobs/signup.ts:14:3)',
].join('\n');

describe('stack frames', () => {
  it('keeps in-app frames only, by function and project-relative file, without line numbers', () => {
    expect(topStackFrames(APP_STACK)).toEqual([
      'insertUser (src/users/repo.ts)',
      'signup (src/jobs/signup.ts)',
    ]);
    const moved = APP_STACK.replace('/app/', '/home/deploy/releases/20261206/')
      .replace(':31:5', ':40:9')
      .replace('async UserRepo.insertUser', 'insertUser');
    expect(topStackFrames(moved)).toEqual(topStackFrames(APP_STACK));
  });

  it('ignores the async glue a stack ends in', () => {
    const input = {
      errorClass: 'error',
      message: 'duplicate key value violates unique constraint "users_email_key"',
    };
    const a = errorFingerprint({ ...input, stack: APP_STACK });
    const b = errorFingerprint({ ...input, stack: `${APP_STACK}\n    at async Promise.all (index 3)` });
    const c = errorFingerprint({
      ...input,
      stack: `${APP_STACK}\n    at runNextTicks (node:internal/process/task_queues:60:5)\n    at listOnTimeout (node:internal/timers:538:9)`,
    });
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('falls back to class, code and message when no frame is the application', () => {
    const refused = (port: number) =>
      errorFingerprint({
        errorClass: 'Error',
        code: 'ECONNREFUSED',
        message: `connect ECONNREFUSED 127.0.0.1:${port}`,
        stack: `Error: connect ECONNREFUSED 127.0.0.1:${port}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)`,
      });
    expect(refused(5432)).not.toBe(refused(6379));
    expect(
      failureSignature({ errorClass: 'Error', message: 'x', stack: 'Error: x\n    at node:net:1:1' }).frame,
    ).toBeNull();
  });

  it('tells a different throw site apart', () => {
    const input = {
      errorClass: 'error',
      message: 'duplicate key value violates unique constraint "users_email_key"',
    };
    const other = APP_STACK.replace(
      'signup (/app/src/jobs/signup.ts',
      'importUsers (/app/src/jobs/import.ts',
    );
    expect(errorFingerprint({ ...input, stack: other })).not.toBe(
      errorFingerprint({ ...input, stack: APP_STACK }),
    );
  });
});

describe('causes and versions', () => {
  it('records causes in the stack and groups by them', () => {
    const failed = (cause: Error) => {
      const error = new TypeError('fetch failed', { cause });
      return deadLetterFingerprint({
        errorClass: 'TypeError',
        errorCode: null,
        errorMessage: error.message,
        errorStack: stackWithCauses(error),
        failureType: 'retries_exhausted',
      });
    };
    const refused = failed(new Error('connect ECONNREFUSED 10.0.0.9:443'));
    expect(failed(new Error('connect ECONNREFUSED 10.0.0.12:443'))).toBe(refused);
    expect(failed(new Error('getaddrinfo ENOTFOUND hooks.example'))).not.toBe(refused);
    const aggregate = new AggregateError([new Error('connect ECONNREFUSED ::1:6379')], '');
    expect(stackWithCauses(aggregate)).toContain('\nCaused by: Error: connect ECONNREFUSED ::1:6379');
    const loop = new Error('a');
    loop.cause = loop;
    expect(stackWithCauses(loop)?.includes('Caused by')).toBe(false);
  });

  it('is the first 16 hex digits of the SHA-256 of its parts, so stored fingerprints keep matching new ones', () => {
    const parts = [`v${FINGERPRINT_VERSION}`, 'TypeError', 'E_BOOM', 'boom'].join('\n');
    expect(errorFingerprint({ errorClass: 'TypeError', code: 'E_BOOM', message: 'boom' })).toBe(
      createHash('sha256').update(parts).digest('hex').slice(0, 16),
    );
  });

  it('is version 2, and the signature shows what identifies the group', () => {
    expect(FINGERPRINT_VERSION).toBe(2);
    expect(
      failureSignature({
        errorClass: 'error',
        message: 'duplicate key value violates unique constraint "users_email_key" (id 42)',
        stack: APP_STACK,
      }),
    ).toEqual({
      errorClass: 'error',
      message: 'duplicate key value violates unique constraint "users_email_key" (id <n>)',
      frame: 'insertUser (src/users/repo.ts)',
    });
  });
});
