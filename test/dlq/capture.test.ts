import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, ValidationError } from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

let h: DlqHarness;
beforeEach(() => {
  h = createDlqHarness({ handlerVersion: 'app@1.2.3' });
});
afterEach(async () => {
  await h.cleanup();
});

class GatewayError extends Error {
  code = 'PG_TIMEOUT';
  constructor(message: string) {
    super(message);
    this.name = 'GatewayError';
  }
}

describe('DeadLetterQueue.store', () => {
  it('records a failed operation with its full forensic context', async () => {
    const error = new GatewayError('gateway timed out after 30000 ms for order 1234');
    const result = await h.dlq.store({
      domain: 'payment',
      failureType: 'PG_TIMEOUT',
      entityType: 'order',
      entityId: 1234,
      userId: 77,
      error,
      payload: { orderId: 1234, amount: 50 },
      snapshot: { balance: 100 },
      requestData: { url: '/charge' },
      responseData: { status: 504 },
      metadata: { region: 'eu' },
      nextActionHint: 'check the gateway status page',
      recommendedAction: 'replay',
    });
    expect(result).toEqual({
      success: true,
      id: expect.stringMatching(/^dl_/),
      error: null,
      fallbackPath: null,
      created: true,
      queued: false,
    });
    const entry = await h.dlq.mustGet(result.id!);
    expect(entry).toMatchObject({
      domain: 'payment',
      failureType: 'PG_TIMEOUT',
      entityType: 'order',
      entityId: '1234',
      userId: '77',
      errorClass: 'GatewayError',
      errorCode: 'PG_TIMEOUT',
      errorMessage: 'gateway timed out after 30000 ms for order 1234',
      payload: { orderId: 1234, amount: 50 },
      snapshot: { balance: 100 },
      requestData: { url: '/charge' },
      responseData: { status: 504 },
      metadata: { region: 'eu' },
      nextActionHint: 'check the gateway status page',
      recommendedAction: 'replay',
      workerId: 'test-host:1',
      handlerVersion: 'app@1.2.3',
      status: 'pending',
      generation: 1,
      replayCount: 0,
      maxReplays: 2,
      firstFailedAt: h.t0,
      deadLetteredAt: h.t0,
      expiresAt: h.t0 + 72 * 3_600_000,
    });
    expect(entry.errorStack).toContain('GatewayError');
    expect(entry.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('groups the same bug under one fingerprint however its ids differ', async () => {
    // The same code path (same frames) failing for different orders.
    const charge = (message: string) => new GatewayError(message);
    const errors = ['order 1 failed: "abc"', 'order 987 failed: "zz"', 'card declined'].map(charge);
    const [a, b, c] = await Promise.all(
      errors.map((error) => h.dlq.store({ domain: 'd', failureType: 'f', error })),
    );
    const [ea, eb, ec] = await Promise.all([a!, b!, c!].map((r) => h.dlq.mustGet(r.id!)));
    expect(ea!.fingerprint).toBe(eb!.fingerprint);
    expect(ec!.fingerprint).not.toBe(ea!.fingerprint);
  });

  it('works without an Error object, and per-entry budget and TTL override the defaults', async () => {
    const r = await h.dlq.store({
      domain: 'webhook',
      failureType: 'HTTP_410',
      errorCode: '410',
      errorMessage: 'gone',
      maxReplays: 5,
      ttlMs: null,
      handlerVersion: 'hooks@9',
      workerId: 'w-7',
    });
    expect(await h.dlq.mustGet(r.id!)).toMatchObject({
      errorClass: null,
      errorCode: '410',
      errorMessage: 'gone',
      maxReplays: 5,
      expiresAt: null,
      handlerVersion: 'hooks@9',
      workerId: 'w-7',
    });
  });

  it('records a thrown value that String() cannot convert instead of throwing from store()', async () => {
    // An object without a prototype (or whose toString throws) is a legal thing to throw.
    const thrown = Object.assign(Object.create(null) as object, { code: Object.create(null) as object });
    const r = await h.dlq.store({ domain: 'webhook', failureType: 'UNKNOWN', error: thrown });
    expect(r.success).toBe(true);
    expect(await h.dlq.mustGet(r.id!)).toMatchObject({
      errorClass: 'object',
      errorMessage: '[object Object]',
    });
  });

  it('records an error whose getters throw from what can be read, instead of throwing from store()', async () => {
    const error = Object.assign(new Error('webhook rejected'), { code: 'E_REJECTED' });
    Object.defineProperty(error, 'stack', {
      get() {
        throw new Error('the stack belongs to a closed connection');
      },
    });
    const r = await h.dlq.store({ domain: 'webhook', failureType: 'UNKNOWN', error });
    expect(r.success).toBe(true);
    expect(await h.dlq.mustGet(r.id!)).toMatchObject({
      errorClass: 'Error',
      errorCode: 'E_REJECTED',
      errorMessage: 'webhook rejected (unreadable: stack)',
    });
  });

  it('is idempotent for an id of the caller', async () => {
    const first = await h.dlq.store({ id: 'import-1', domain: 'd', failureType: 'f' });
    const second = await h.dlq.store({ id: 'import-1', domain: 'd', failureType: 'g' });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ success: true, id: 'import-1', created: false });
    expect((await h.dlq.mustGet('import-1')).failureType).toBe('f');
    expect(h.dlq.metrics()).toMatchObject({ stored: 1, duplicates: 1 });
  });

  it('answers a second store() for the same job with the existing record, which get() finds', async () => {
    const stored: string[] = [];
    h.dlq.on('dead_letter.stored', (e) => stored.push(e.id));
    const first = await h.dlq.store({ jobId: 'job-7', domain: 'd', failureType: 'f' });
    const second = await h.dlq.store({ jobId: 'job-7', domain: 'd', failureType: 'g' });
    expect(first).toMatchObject({ success: true, created: true });
    expect(second).toMatchObject({ success: true, created: false, id: first.id });
    expect((await h.dlq.get(second.id!))?.failureType).toBe('f');
    expect(h.dlq.metrics()).toMatchObject({ stored: 1, duplicates: 1 });
    expect(stored).toEqual([first.id]);
  });

  it('reports the existing record of a duplicate in the same group commit, and counts it once', async () => {
    const [a, b] = await Promise.all([
      h.dlq.store({ jobId: 'job-8', domain: 'd', failureType: 'f' }),
      h.dlq.store({ jobId: 'job-8', domain: 'd', failureType: 'g' }),
    ]);
    expect(h.faults.calls.get('insertDeadLetters')).toBe(1);
    expect([a!.created, b!.created]).toEqual([true, false]);
    expect(b!.id).toBe(a!.id);
    expect(await h.dlq.get(b!.id!)).not.toBeNull();
    expect(h.dlq.metrics()).toMatchObject({ stored: 1, duplicates: 1 });
  });

  it('validates at the boundary, naming the field', async () => {
    await expect(h.dlq.store({ domain: '', failureType: 'f' })).rejects.toMatchObject({ field: 'domain' });
    await expect(
      h.dlq.store({ domain: 'd', failureType: 'f', metadata: 'x' as unknown as Record<string, unknown> }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(h.dlq.store({ domain: 'd', failureType: 'f', maxReplays: -1 })).rejects.toMatchObject({
      field: 'maxReplays',
    });
  });

  it('accepts every field at its bounds and rejects each just past them, naming the field', async () => {
    const valid = {
      id: 'i'.repeat(200),
      domain: 'd'.repeat(200),
      failureType: 'f'.repeat(200),
      entityType: null,
      entityId: 'e'.repeat(200),
      userId: 42,
      errorCode: 'c'.repeat(200),
      errorMessage: '',
      metadata: Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 }),
      nextActionHint: 'n'.repeat(2000),
      recommendedAction: 'r'.repeat(200),
      queue: null,
      jobName: 'j'.repeat(200),
      jobId: 'k'.repeat(200),
      workerId: 'w'.repeat(200),
      handlerVersion: 'h'.repeat(200),
      attempts: [],
      maxReplays: 1000,
      ttlMs: 0.5,
      firstFailedAt: 0,
    };
    expect((await h.dlq.store(valid)).created).toBe(true);
    const invalid: [string, unknown][] = [
      ['id', ''],
      ['domain', 'd'.repeat(201)],
      ['failureType', ''],
      ['failureType', 'f'.repeat(201)],
      ['entityType', 'e'.repeat(201)],
      ['recommendedAction', 'r'.repeat(201)],
      ['queue', 'q'.repeat(201)],
      ['jobName', 'j'.repeat(201)],
      ['jobId', 'k'.repeat(201)],
      ['workerId', 'w'.repeat(201)],
      ['handlerVersion', 'h'.repeat(201)],
      ['entityId', Number.NaN],
      ['userId', 'u'.repeat(201)],
      ['errorCode', 'c'.repeat(201)],
      ['errorMessage', null],
      ['nextActionHint', 'n'.repeat(2001)],
      ['attempts', {}],
      ['maxReplays', 1.5],
      ['maxReplays', 1001],
      ['ttlMs', 0],
      ['firstFailedAt', Number.POSITIVE_INFINITY],
    ];
    for (const [field, value] of invalid) {
      await expect(h.dlq.store({ ...valid, id: undefined, [field]: value })).rejects.toMatchObject({ field });
    }
    // A symbol key: refused, naming the field (the key cannot be written as text).
    await expect(
      h.dlq.store({ domain: 'd', failureType: 'f', metadata: { [Symbol('s')]: 1, a: 2 } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: expect.stringMatching(/^metadata/) });
    for (const metadata of [new Map(), []]) {
      await expect(
        h.dlq.store({
          domain: 'd',
          failureType: 'f',
          metadata: metadata as unknown as Record<string, unknown>,
        }),
      ).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('writes concurrent calls in one group commit', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        h.dlq.store({ domain: 'bulk', failureType: 'f', error: new PermanentError(`n ${i}`) }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(300);
    expect(h.faults.calls.get('insertDeadLetters')).toBe(1);
    expect((await h.dlq.stats()).byDomain.bulk).toBe(300);
    expect(h.dlq.metrics().stored).toBe(300);
  });

  it('fire-and-forget mode returns at once; flush() waits for the write', async () => {
    const stored: string[] = [];
    h.dlq.on('dead_letter.stored', (e) => stored.push(e.id));
    const r = await h.dlq.store({ domain: 'd', failureType: 'f' }, { mode: 'async' });
    expect(r).toMatchObject({ success: true, queued: true });
    await h.dlq.flush();
    expect(stored).toEqual([r.id]);
    expect(await h.dlq.get(r.id!)).not.toBeNull();
  });

  it('records nothing while disabled', async () => {
    const off = createDlqHarness({ enabled: false });
    try {
      expect(await off.dlq.store({ domain: 'd', failureType: 'f' })).toMatchObject({
        success: false,
        id: null,
      });
      expect((await off.dlq.stats()).total).toBe(0);
    } finally {
      await off.cleanup();
    }
  });
});

describe('DeadLetterQueue options', () => {
  it.each([
    [{ retentionDays: -1 }, 'retentionDays'],
    [{ expiryHours: 0 }, 'expiryHours'],
    [{ maxReplayAttempts: 1.5 }, 'maxReplayAttempts'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ mode: 'later' as 'sync' }, 'mode'],
    [{ sla: { domains: { pay: -5 } } }, 'sla.domains.pay'],
  ])('rejects %o naming %s', (options, field) => {
    expect(() => createDlqHarness(options)).toThrow(ValidationError);
    try {
      createDlqHarness(options);
    } catch (error) {
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it('has the seed defaults', () => {
    expect(h.dlq.config).toMatchObject({
      enabled: true,
      retentionDays: 30,
      expiryHours: 72,
      maxReplayAttempts: 2,
      retryDelayMs: 60_000,
      batchSize: 10,
      mode: 'sync',
    });
  });
});

describe('records are always serializable', () => {
  it('bigints, dates and cycles in any field do not poison a group commit', async () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const results = await Promise.all([
      h.dlq.store({ domain: 'd', failureType: 'f', payload: { big: 10n, when: new Date(0), cyclic } }),
      h.dlq.store({
        domain: 'd',
        failureType: 'f',
        attempts: [
          {
            attempt: 1,
            outcome: 'failed',
            startedAt: 0,
            endedAt: 1,
            workerId: null,
            message: 'x',
            extra: 5n,
          } as never,
        ],
      }),
      h.dlq.store({ domain: 'd', failureType: 'f' }),
    ]);
    expect(results.every((r) => r.success && r.fallbackPath === null)).toBe(true);
    expect((await h.dlq.mustGet(results[0]!.id!)).payload).toEqual({
      big: '10',
      when: '1970-01-01T00:00:00.000Z',
      cyclic: { a: 1, self: '[Circular]' },
    });
  });
});
