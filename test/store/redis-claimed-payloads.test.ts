/**
 * Claimed payload texts (claimed-payloads.ts): a dead letter whose payload is redacted takes the
 * payload's text from the reply of the claim that started the attempt, instead of reading it back
 * from the server; the rows of a reply are located exactly (payloads holding brackets, quotes and
 * row-like text), only the latest claims are kept, and anything else is read from the server. On
 * a real server: the dead letters are the same through either path.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ClaimedJob } from '../../src/core/job.js';
import { redactSecrets } from '../../src/dead-letter-record/redact.js';
import { claim, deadLetterFromJob, failedAttempt } from '../../src/store/conformance/fixtures.js';
import type { JobFailure } from '../../src/store/job-store.js';
import { ClaimedPayloads, payloadsOfClaim } from '../../src/store/redis/claimed-payloads.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** A claim reply's row as lib/claim.lua writes it. */
function row(id: string, payload: string, parts = '0,0,0,null,null,0'): string {
  return `["${id}",${parts},${payload}]`;
}

describe('payloadsOfClaim', () => {
  it('finds each row payload, whatever brackets, quotes and row-like text the values hold', () => {
    const payloads = {
      '1': '{"n":1}',
      '2': '[[1],["2",0,0,0,null,null,0,{"fake":true}]]',
      '3': '"a \\"quoted\\" ],[\\"7\\", text \\\\"',
      '4': '{"nested":{"a":[{"b":"}]"}]},"c":null}',
      '5': '42',
      '6': 'null',
    };
    const attempts = '[{"attempt":1,"message":"],[\\"9\\",\\\\","workerId":"w"}]';
    const text = `[${[
      row('1', payloads['1'], `0,0,0,null,null,["job",1,3,null,null,null,null,${T0}]`),
      row('2', payloads['2']),
      row('3', payloads['3'], `1,2,3,${T0 + 5},${attempts},0`),
      row('4', payloads['4']),
      row('5', payloads['5']),
      row('6', payloads['6']),
    ].join(',')}]`;
    expect(JSON.parse(text)).toHaveLength(6);
    expect(Object.fromEntries(payloadsOfClaim(text)!)).toEqual(payloads);
  });

  it('reads an empty reply as no rows', () => {
    expect(payloadsOfClaim('[]')).toEqual(new Map());
  });

  it('refuses a reply that does not read as rows of eight values without spaces', () => {
    expect(payloadsOfClaim(`[${row('1', ' {"n":1}')}]`)).toBeNull();
    expect(payloadsOfClaim(`[${row('1', '{"n":1} ')}]`)).toBeNull();
    expect(payloadsOfClaim(`[${row('1', '{"n":1}', '0,0,0,null,null')}]`)).toBeNull();
    expect(payloadsOfClaim(`[${row('1', '{"n":1}')},]`)).toBeNull();
    expect(payloadsOfClaim(`[${row('1', '{"n":1')}]`)).toBeNull();
    expect(payloadsOfClaim('{"1":2}')).toBeNull();
  });
});

describe('ClaimedPayloads', () => {
  const reply = (ids: number[], size = 10) =>
    `[${ids.map((id) => row(String(id), JSON.stringify({ id, pad: 'x'.repeat(size) }))).join(',')}]`;

  it('gives a job payload by the claim id its token ends with, and nothing for another claim', () => {
    const kept = new ClaimedPayloads();
    kept.remember('c:1', reply([7, 8]));
    expect(kept.payload('8', '1:c:1')).toBe('{"id":8,"pad":"xxxxxxxxxx"}');
    expect(kept.payload('8', '2:c:1')).toBe('{"id":8,"pad":"xxxxxxxxxx"}');
    expect(kept.payload('9', '1:c:1')).toBeUndefined();
    expect(kept.payload('8', '1:c:2')).toBeUndefined();
    expect(kept.payload('8', 'no-colon')).toBeUndefined();
  });

  it('gives the payloads only redacted dead letters need, and which must be read from the server', () => {
    const kept = new ClaimedPayloads();
    kept.remember('c:1', reply([7, 8]));
    const failure = (id: string, token: string, outcome: JobFailure['outcome']): JobFailure => ({
      id,
      token,
      attempt: {
        attempt: 1,
        outcome: 'failed',
        startedAt: T0,
        endedAt: T0,
        workerId: 'w',
        errorClass: 'Error',
        message: 'x',
      },
      outcome,
    });
    const dead = (redact: boolean): JobFailure['outcome'] => ({
      kind: 'dead_letter',
      deadLetter: { ...deadLetterFromJob('dl', T0), ...(redact ? { redactPayload: redactSecrets } : {}) },
    });
    expect(
      kept.payloadsFor([
        failure('7', '1:c:1', dead(true)),
        failure('8', '1:c:1', { kind: 'retry', runAt: T0 }),
        failure('8', '1:c:1', dead(false)),
        failure('9', '1:c:2', dead(true)),
      ]),
    ).toEqual({ payloads: ['{"id":7,"pad":"xxxxxxxxxx"}', null, null, null], missing: [3] });
  });

  it('keeps only the latest claims, by count and by size', () => {
    const byCount = new ClaimedPayloads(2, 1_000_000);
    byCount.remember('a', reply([1]));
    byCount.remember('b', reply([2]));
    byCount.remember('c', reply([3]));
    expect(byCount.payload('1', '1:a')).toBeUndefined();
    expect(byCount.payload('2', '1:b')).toBeDefined();
    expect(byCount.payload('3', '1:c')).toBeDefined();

    const bySize = new ClaimedPayloads(100, 250);
    bySize.remember('a', reply([1], 100));
    bySize.remember('b', reply([2], 100));
    expect(bySize.payload('1', '1:a')).toBeUndefined();
    expect(bySize.payload('2', '1:b')).toBeDefined();
    bySize.remember('huge', reply([3], 1000));
    expect(bySize.payload('3', '1:huge')).toBeUndefined();
    expect(bySize.payload('2', '1:b')).toBeDefined();
  });

  it('gives nothing for a kept reply that does not read as rows', () => {
    const kept = new ClaimedPayloads();
    kept.remember('a', '[["1",0,0,0,null,null,0, {"n":1}]]');
    expect(kept.payload('1', '1:a')).toBeUndefined();
  });
});

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  function deadLetterFailure(claimed: ClaimedJob, id: string, now: number): JobFailure {
    return {
      id: claimed.id,
      token: claimed.token,
      attempt: failedAttempt(claimed, now),
      outcome: {
        kind: 'dead_letter',
        deadLetter: { ...deadLetterFromJob(id, now), redactPayload: redactSecrets },
      },
    };
  }

  it('redacts dead letters alike from the claim reply it kept and from the payloads it reads back', async () => {
    const store = open();
    const other = open({ prefix: store.keys.prefix });
    const payloads = [
      { n: 0, note: '],["1",0,0,0,null,null,0,{"password":"no"}]' },
      { n: 1, password: 'hunter2', nested: [[1], ['a']] },
      { n: 2, token: 'abc' },
      { n: 3 },
    ];
    await store.insertJobs({ jobs: payloads.map((payload) => job({ payload })), now: T0 });
    const jobs = await claim(store, { now: T0, limit: 4 });
    const now = T0 + 10;
    // The claiming store has the claim's reply; a store that did not claim reads the payloads.
    const reads = (s: object) => {
      const spy = vi.spyOn(s as { script: (name: string) => unknown }, 'script');
      return () => spy.mock.calls.filter(([name]) => name === 'read-payloads').length;
    };
    const [readsOfClaimer, readsOfOther] = [reads(store), reads(other)];
    const results = [
      ...(await store.failJobs({
        failures: [deadLetterFailure(jobs[0]!, 'dl-0', now), deadLetterFailure(jobs[1]!, 'dl-1', now)],
        now,
      })),
      ...(await other.failJobs({
        failures: [deadLetterFailure(jobs[2]!, 'dl-2', now), deadLetterFailure(jobs[3]!, 'dl-3', now)],
        now,
      })),
    ];
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect([readsOfClaimer(), readsOfOther()]).toEqual([0, 1]);
    const stored = await Promise.all(
      ['dl-0', 'dl-1', 'dl-2', 'dl-3'].map(async (id) => (await store.getDeadLetter({ id }))?.payload),
    );
    expect(stored).toEqual([
      payloads[0],
      { n: 1, password: '[REDACTED]', nested: [[1], ['a']] },
      { n: 2, token: '[REDACTED]' },
      { n: 3 },
    ]);
  });
});
