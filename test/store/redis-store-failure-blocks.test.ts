/**
 * Redis store on a real server: a batch of failures sends the dead-letter fields its failures share
 * once per batch (failure-args.ts, lib/fail.lua), and each dead letter still gets every field of
 * its own: two errors in one batch, per-entry ids and times, payload redaction per job (a payload
 * the redaction leaves as it is goes as '' and is copied by the script).
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/core/job.js';
import { redactSecrets } from '../../src/dead-letter-record/redact.js';
import { claim, deadLetterFromJob, failedAttempt } from '../../src/store/conformance/fixtures.js';
import type { JobFailure } from '../../src/store/job-store.js';
import { SHARED_PROPERTIES } from '../../src/store/redis/dead-letter-codec.js';
import { failureArgs } from '../../src/store/redis/failure-args.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** The dead-letter failure of `claimed` with error `message` (fingerprint `fp`), at `now`. */
function deadLetterFailure(
  claimed: ClaimedJob,
  id: string,
  now: number,
  message: string,
  fp: string,
): JobFailure {
  return {
    id: claimed.id,
    token: claimed.token,
    attempt: failedAttempt(claimed, now),
    outcome: {
      kind: 'dead_letter',
      deadLetter: {
        ...deadLetterFromJob(id, now, {
          errorMessage: message,
          errorStack: `PermanentError: ${message}\n    at charge (billing.ts:3:9)`,
          fingerprint: fp,
        }),
        redactPayload: redactSecrets,
      },
    },
  };
}

/** failureArgs' output read back as lib/fail.lua reads it (dead-letter failures only). */
function decode(args: readonly (string | number)[]) {
  let a = 1;
  const blocks: (string | number)[][] = [];
  for (let k = 0; k < Number(args[0]); k++) {
    const m = Number(args[a]);
    blocks.push(args.slice(a + 1, a + 1 + 2 * m));
    a += 1 + 2 * m;
  }
  const failures = [];
  while (a < args.length) {
    failures.push({
      id: args[a + 5],
      payload: args[a + 6],
      block: Number(args[a + 7]),
      own: args.slice(a + 8, a + 11),
    });
    a += 11;
  }
  return { blocks, failures };
}

describe('failureArgs', () => {
  const claimed = (n: number) => ({ id: String(n), token: `t${n}`, attemptsMade: 0 }) as ClaimedJob;

  it('sends the fields dead letters share once per batch, and an unchanged redacted payload as empty', () => {
    const failures = [
      deadLetterFailure(claimed(1), 'dl-1', T0, 'card declined', 'fp-a'),
      deadLetterFailure(claimed(2), 'dl-2', T0 + 1, 'card declined', 'fp-a'),
      deadLetterFailure(claimed(3), 'dl-3', T0 + 2, 'card expired', 'fp-b'),
    ];
    const { blocks, failures: sent } = decode(
      failureArgs(failures, ['{"n":1}', '{"n":2,"password":"x"}', '{"n":3}']),
    );
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toEqual(
      expect.arrayContaining(['errorMessage', 'card declined', 'fingerprint', 'fp-a']),
    );
    expect(blocks[1]).toEqual(
      expect.arrayContaining(['errorMessage', 'card expired', 'fingerprint', 'fp-b']),
    );
    expect(blocks[0]).not.toContain('dl-1');
    expect(sent.map((f) => [f.id, f.block, f.payload])).toEqual([
      ['dl-1', 1, ''],
      ['dl-2', 1, '{"n":2,"password":"[REDACTED]"}'],
      ['dl-3', 2, ''],
    ]);
    for (const [i, f] of sent.entries()) {
      expect(f.own).toEqual([String(T0 + i - 1000), String(T0 + i), String(T0 + i + 3_600_000)]);
    }
  });

  it('starts a new block when any shared property differs, and only then', () => {
    const base = deadLetterFailure(claimed(1), 'dl-1', T0, 'card declined', 'fp-a');
    const differing = (name: string, value: unknown): JobFailure => {
      const failure = deadLetterFailure(claimed(2), 'dl-2', T0 + 1, 'card declined', 'fp-a');
      if (failure.outcome.kind !== 'dead_letter') throw new Error('a dead letter');
      (failure.outcome.deadLetter as unknown as Record<string, unknown>)[name] = value;
      return failure;
    };
    const blockCount = (failures: JobFailure[]) =>
      decode(
        failureArgs(
          failures,
          failures.map(() => null),
        ),
      ).blocks.length;
    expect(blockCount([base, differing('id', 'dl-other')])).toBe(1);
    for (const name of SHARED_PROPERTIES) {
      const value = name === 'maxReplays' || name === 'fingerprintVersion' ? 7 : `other ${name}`;
      expect(blockCount([base, differing(name, value)]), name).toBe(2);
    }
    for (const name of ['snapshot', 'requestData', 'responseData', 'metadata'])
      expect(blockCount([base, differing(name, { other: name })]), name).toBe(2);
  });
});

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  it('stores every field of each dead letter of a batch with two errors, shared fields sent once', async () => {
    const store = open();
    await store.insertJobs({
      jobs: [
        job({ payload: { n: 0 } }),
        job({ payload: { n: 1, password: 'hunter2' } }),
        job({ payload: { n: 2 } }),
        job({ payload: { n: 3 } }),
      ],
      now: T0,
    });
    const jobs = await claim(store, { now: T0, limit: 4 });
    const now = T0 + 10;
    const failures = [
      deadLetterFailure(jobs[0]!, 'dl-0', now, 'card declined', 'fp-a'),
      deadLetterFailure(jobs[1]!, 'dl-1', now + 1, 'card declined', 'fp-a'),
      {
        id: jobs[2]!.id,
        token: jobs[2]!.token,
        attempt: failedAttempt(jobs[2]!, now),
        outcome: { kind: 'retry', runAt: now },
      },
      deadLetterFailure(jobs[3]!, 'dl-3', now + 2, 'card expired', 'fp-b'),
    ] satisfies JobFailure[];
    const results = await store.failJobs({ failures, now });
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    const expected = [
      { id: 'dl-0', n: 0, message: 'card declined', fp: 'fp-a', at: now, payload: { n: 0 } },
      {
        id: 'dl-1',
        n: 1,
        message: 'card declined',
        fp: 'fp-a',
        at: now + 1,
        payload: { n: 1, password: '[REDACTED]' },
      },
      { id: 'dl-3', n: 3, message: 'card expired', fp: 'fp-b', at: now + 2, payload: { n: 3 } },
    ];
    for (const e of expected) {
      expect(await store.getDeadLetter({ id: e.id })).toMatchObject({
        id: e.id,
        jobId: jobs[e.n]!.id,
        errorMessage: e.message,
        errorStack: `PermanentError: ${e.message}\n    at charge (billing.ts:3:9)`,
        fingerprint: e.fp,
        deadLetteredAt: e.at,
        firstFailedAt: e.at - 1000,
        expiresAt: e.at + 3_600_000,
        payload: e.payload,
        domain: 'billing',
        nextActionHint: 'fix the card',
        metadata: { region: 'eu' },
        status: 'pending',
      });
    }
    expect((await store.listDeadLetters({ limit: 10, withTotal: true })).total).toBe(3);
  });
});
