import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildJobDeadLetter } from '../../src/dead-letter-record/record.js';
import {
  createRedactor,
  createSeededRandom,
  PermanentError,
  Queue,
  REDACTED,
  redactSecrets,
  Worker,
} from '../../src/index.js';
import { createDlqHarness, type DlqHarness, flush } from './helpers.js';

const secretPayload = () => ({
  orderId: 42,
  customer: {
    name: 'Ann',
    password: 'hunter2',
    profile: { apiKey: 'ak_live_1', 'refresh-token': 'rt', settings: { theme: 'dark', clientSecret: 's3' } },
    cards: [{ last4: '4242', cvv: '123', card_number: '4242424242424242' }],
  },
  headers: { Authorization: 'Bearer abc', Cookie: 'sid=1', 'X-Api-Key': 'xk', Accept: 'json' },
  tokens: ['t1', 't2'],
  auth: { user: 'u', pwd: 'p' },
  author: 'Bob',
  empty: null,
});

describe('createRedactor', () => {
  it('redacts secret keys at any depth, in arrays too, and leaves the rest', () => {
    const input = secretPayload();
    const copy = structuredClone(input);
    const out = redactSecrets(input);
    expect(out).toEqual({
      orderId: 42,
      customer: {
        name: 'Ann',
        password: REDACTED,
        profile: {
          apiKey: REDACTED,
          'refresh-token': REDACTED,
          settings: { theme: 'dark', clientSecret: REDACTED },
        },
        cards: [{ last4: '4242', cvv: REDACTED, card_number: REDACTED }],
      },
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'X-Api-Key': REDACTED, Accept: 'json' },
      tokens: REDACTED,
      auth: REDACTED,
      author: 'Bob',
      empty: null,
    });
    // The input is never modified.
    expect(input).toEqual(copy);
  });

  it('keeps every own key, __proto__ included, without touching any prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": 1, "password": "p"}, "x": 1}') as object;
    const copy = redactSecrets(input) as Record<string, unknown>;
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe(`{"__proto__":{"polluted":1,"password":"${REDACTED}"},"x":1}`);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const fromMap = redactSecrets(new Map([['__proto__', { a: 1 }]])) as Record<string, unknown>;
    expect(JSON.stringify(fromMap)).toBe('{"__proto__":{"a":1}}');
    expect(Object.getPrototypeOf(fromMap)).toBe(Object.prototype);
  });

  it('handles cycles, dates, maps and depth limits', () => {
    const a: Record<string, unknown> = {
      when: new Date(0),
      m: new Map([
        ['secret', 1],
        ['ok', 2],
      ]),
    };
    a.self = a;
    expect(redactSecrets(a)).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      m: { secret: REDACTED, ok: 2 },
      self: '[Circular]',
    });
    const deep = createRedactor({ maxDepth: 2 })({ a: { b: { c: 1 } } });
    expect(deep).toEqual({ a: { b: '[TRUNCATED]' } });
  });

  it('takes extra keys, patterns, a replacement, or replaces the defaults', () => {
    const r = createRedactor({
      keys: ['iban_number', 'dob'],
      patterns: [/^x-internal-/i],
      replacement: '***',
    });
    expect(r({ iban_number: 'DE..', DOB: '1990', 'X-Internal-Trace': 't', password: 'p', ok: 1 })).toEqual({
      iban_number: '***',
      DOB: '***',
      'X-Internal-Trace': '***',
      password: '***',
      ok: 1,
    });
    const only = createRedactor({ keys: ['pin'], replaceDefaults: true });
    expect(only({ pin: 1, password: 'p' })).toEqual({ pin: REDACTED, password: 'p' });
  });
});

describe('redaction before storage', () => {
  let h: DlqHarness;
  beforeEach(() => {
    h = createDlqHarness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('store() redacts payload, snapshot, request/response data and metadata', async () => {
    const r = await h.dlq.store({
      domain: 'payment',
      failureType: 'declined',
      payload: secretPayload(),
      snapshot: { session: { sessionId: 'abc', user: 1 } },
      requestData: { headers: { authorization: 'Basic x' }, body: { amount: 1 } },
      responseData: { 'set-cookie': 'a=b', status: 402 },
      metadata: { trace: 't', nested: { privateKey: '-----BEGIN' } },
    });
    const entry = await h.dlq.mustGet(r.id!);
    const text = JSON.stringify(entry);
    for (const secret of [
      'hunter2',
      'ak_live_1',
      'Bearer abc',
      'sid=1',
      'Basic x',
      'a=b',
      '-----BEGIN',
      '"abc"',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(entry.payload).toEqual(redactSecrets(secretPayload()));
    expect(entry.requestData).toEqual({ headers: { authorization: REDACTED }, body: { amount: 1 } });
    expect(entry.responseData).toEqual({ 'set-cookie': REDACTED, status: 402 });
    expect(entry.metadata).toEqual({ trace: 't', nested: { privateKey: REDACTED } });
  });

  it('a dead letter keeps a payload key named __proto__, as the job had it', async () => {
    const payload = JSON.parse('{"__proto__": {"polluted": 1}, "x": 1}') as unknown;
    const r = await h.dlq.store({ domain: 'payment', failureType: 'x', payload, metadata: payload as never });
    const entry = await h.dlq.mustGet(r.id!);
    expect(JSON.stringify(entry.payload)).toBe('{"__proto__":{"polluted":1},"x":1}');
    expect(JSON.stringify(entry.metadata)).toBe('{"__proto__":{"polluted":1},"x":1}');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('the fallback file never sees the secrets either', async () => {
    h.faults.down.add('insertDeadLetters');
    const r = await h.dlq.store({ domain: 'payment', failureType: 'x', payload: secretPayload() });
    expect(r.fallbackPath).toBe(h.fallbackPath);
    const text = readFileSync(h.fallbackPath, 'utf8');
    expect(text).toContain('Ann');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('4242424242424242');
  });

  it('redact: false stores values as they are', async () => {
    const plain = createDlqHarness({ redact: false });
    try {
      const r = await plain.dlq.store({ domain: 'd', failureType: 'f', payload: { password: 'p' } });
      expect((await plain.dlq.mustGet(r.id!)).payload).toEqual({ password: 'p' });
    } finally {
      await plain.cleanup();
    }
  });

  /** Inserts a job with this payload JSON and dead-letters it through the store's failJob. */
  async function deadLetterJob(payloadJson: string): Promise<string> {
    const [inserted] = await h.store.insertJobs({
      jobs: [
        {
          queue: 'charges',
          name: 'charge',
          payloadJson,
          priority: 1,
          runAt: h.t0,
          maxAttempts: 1,
          timeoutMs: null,
          backoff: null,
          idempotencyKey: null,
          replayOf: null,
        },
      ],
      now: h.t0,
    });
    const [job] = await h.store.claimJobs({
      queue: 'charges',
      workerId: 'w',
      limit: 1,
      leaseMs: 1000,
      now: h.t0,
      claimId: 'c1',
    });
    const deadLetter = buildJobDeadLetter({
      queue: 'charges',
      failureType: 'permanent',
      error: new PermanentError('declined'),
      workerId: 'w',
      settings: {},
      now: h.t0,
      firstFailedAt: h.t0,
      random: createSeededRandom(3),
    });
    await h.store.failJob({
      id: job!.id,
      token: job!.token,
      now: h.t0,
      attempt: { attempt: 1, outcome: 'failed', startedAt: h.t0, endedAt: h.t0, workerId: 'w' },
      outcome: { kind: 'dead_letter', deadLetter },
    });
    return inserted!.id;
  }

  it("a job's dead letter gets a redacted payload while the job row keeps the original", async () => {
    const id = await deadLetterJob(JSON.stringify(secretPayload()));
    const entry = await h.dlq.getByJob(id);
    expect(entry?.payload).toEqual(redactSecrets(secretPayload()));
    expect((await h.store.getJob({ id }))?.payload).toEqual(secretPayload());
  });

  it("a job's dead letter keeps a payload key named __proto__ (the forensic copy matches what ran)", async () => {
    const json = '{"__proto__":{"polluted":1},"x":1}';
    const id = await deadLetterJob(json);
    expect(JSON.stringify((await h.dlq.getByJob(id))?.payload)).toBe(json);
    expect(JSON.stringify((await h.store.getJob({ id }))?.payload)).toBe(json);
  });

  it('a Worker dead-letters a failing job with its secrets redacted (settings.redact adds keys)', async () => {
    const queue = new Queue<Record<string, unknown>>('signup', { store: h.store, clock: h.clock });
    const { id } = await queue.add('create', {
      email: 'a@b.c',
      password: 'pw',
      ssnLast4: '1234',
      nickname: 'x',
    });
    const worker = new Worker(
      'signup',
      async () => {
        throw new PermanentError('invalid address');
      },
      {
        store: h.store,
        clock: h.clock,
        random: createSeededRandom(5),
        pollIntervalMs: 10,
        deadLetter: { redact: { keys: ['nickname'] } },
      },
    );
    try {
      for (let i = 0; i < 200 && !(await h.dlq.getByJob(id)); i++) {
        h.clock.advance(10);
        await flush(2);
      }
      const entry = await h.dlq.getByJob(id);
      expect(entry?.payload).toEqual({
        email: 'a@b.c',
        password: REDACTED,
        ssnLast4: REDACTED,
        nickname: REDACTED,
      });
      expect(entry?.failureType).toBe('permanent');
    } finally {
      const closing = worker.close();
      for (let i = 0; i < 100; i++) {
        h.clock.advance(50);
        await flush(1);
      }
      await closing;
    }
  });
});
