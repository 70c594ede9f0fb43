/**
 * A retried attempt's JSON text on SQLite is written field by field: it must read back as
 * `JSON.stringify` of the attempt without its stack, for every kind of record a store is given,
 * including the quoted strings it reuses while they repeat.
 */
import { expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/core/job.js';
import { AttemptJsonWriter } from '../../src/store/sqlite/attempt-json.js';

const T = 1_767_225_600_123;

function expected(attempt: AttemptRecord): string {
  return JSON.stringify({ ...attempt, stack: undefined });
}

const records: AttemptRecord[] = [
  {
    attempt: 1,
    outcome: 'failed',
    startedAt: T,
    endedAt: T + 3,
    workerId: 'host:1:abc',
    errorClass: 'Error',
    message: 'upstream returned 503 Service Unavailable',
    stack: 'Error: upstream returned 503 Service Unavailable\n    at handler (file:///app.js:1:2)',
  },
  {
    attempt: 2,
    outcome: 'timed_out',
    startedAt: T + 10,
    endedAt: T + 20,
    workerId: 'host:1:abc',
    errorClass: 'JobTimeoutError',
    errorCode: 'E"TIMEOUT\\',
    message: 'quote " backslash \\ newline \n tab \t control \u0001 lone \ud83d emoji 😀',
  },
  { attempt: 3, outcome: 'orphaned', startedAt: T, endedAt: T, workerId: null, orphanedWhile: 'running' },
  { attempt: 1, outcome: 'rate_limited', startedAt: 0, endedAt: -0, workerId: 'w', message: '' },
  // Undefined fields are left out, as JSON.stringify leaves them out.
  { attempt: 1, outcome: 'failed', startedAt: T, endedAt: T, workerId: 'w', errorClass: undefined },
  // Key order is the record's own.
  { workerId: 'w', endedAt: T, startedAt: T, outcome: 'failed', attempt: 4, message: 'm' },
];

it('writes each attempt as JSON.stringify would without its stack', () => {
  const writer = new AttemptJsonWriter();
  for (const record of [...records, ...records]) {
    const json = writer.withoutStack(record);
    expect(json).toBe(expected(record));
    expect(JSON.parse(json)).toEqual(JSON.parse(expected(record)));
  }
});

it('a message that changes is quoted again, not reused', () => {
  const writer = new AttemptJsonWriter();
  const base = { attempt: 1, outcome: 'failed', startedAt: T, endedAt: T, workerId: 'w' } as const;
  expect(JSON.parse(writer.withoutStack({ ...base, message: 'first' })).message).toBe('first');
  expect(JSON.parse(writer.withoutStack({ ...base, message: 'second' })).message).toBe('second');
  expect(JSON.parse(writer.withoutStack({ ...base, message: `fir${'st'}` })).message).toBe('first');
});

it('a record with a value or field an attempt does not have is written by JSON.stringify', () => {
  const writer = new AttemptJsonWriter();
  const odd = [
    { attempt: Number.NaN, outcome: 'failed', startedAt: T, endedAt: T, workerId: 'w' },
    { attempt: 1, outcome: 'failed', startedAt: T, endedAt: Number.POSITIVE_INFINITY, workerId: 'w' },
    { attempt: 1, outcome: 'failed', startedAt: T, endedAt: T, workerId: 'w', extra: { nested: [1, 'two'] } },
    { attempt: 1, outcome: 'failed', startedAt: T, endedAt: T, workerId: 7 },
  ] as unknown as AttemptRecord[];
  for (const record of odd) expect(writer.withoutStack(record)).toBe(expected(record));
});
