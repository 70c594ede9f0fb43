import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue, ValidationError, Worker } from '../../src/index.js';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/** Runs `fn` and returns the ValidationError it throws (sync or async), failing otherwise. */
async function validationError(fn: () => unknown): Promise<ValidationError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.status).toBe(400);
  expect(error.message.startsWith(`${error.field}: `)).toBe(true);
  return error;
}

describe('job validation', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;

  const cases: [string, unknown, Record<string, unknown> | undefined, string][] = [
    ['a bad priority name', {}, { priority: 'urgent' }, 'options.priority'],
    ['a priority out of range', {}, { priority: 3 }, 'options.priority'],
    ['a negative delay', {}, { delay: -1 }, 'options.delay'],
    ['a fractional delay', {}, { delay: 1.5 }, 'options.delay'],
    ['an invalid runAt', {}, { runAt: new Date('nope') }, 'options.runAt'],
    ['maxAttempts 0', {}, { maxAttempts: 0 }, 'options.maxAttempts'],
    ['a zero timeout', {}, { timeout: 0 }, 'options.timeout'],
    ['a bad backoff', {}, { backoff: { type: 'linear', delayMs: 1 } }, 'options.backoff.type'],
    ['an empty idempotency key', {}, { idempotencyKey: '' }, 'options.idempotencyKey'],
    ['options that are not an object', {}, 'fast' as never, 'options'],
    ['options that are an array', {}, [60_000] as never, 'options'],
    ['options that are null', {}, null as never, 'options'],
    ['a mistyped option key', {}, { delya: 60_000 }, 'options.delya'],
    ['an option key in the wrong case', {}, { MaxAttempts: 2 }, 'options.MaxAttempts'],
    ['a mistyped backoff key', {}, { backoff: { type: 'fixed', delay: 5 } }, 'options.backoff.delay'],
    ['a backoff that is an array', {}, { backoff: [] }, 'options.backoff'],
    ['a BigInt payload', 10n, undefined, 'payload'],
    ['a BigInt inside the payload', { amount: 10n }, undefined, 'payload.amount'],
    ['a function inside the payload', { cb: () => 1 }, undefined, 'payload.cb'],
    [
      'a BigInt deep inside the payload',
      { order: { lines: [{ price: 1n }] } },
      undefined,
      'payload.order.lines.0.price',
    ],
    ['a function in a nested object', { a: { b: { fn() {} } } }, undefined, 'payload.a.b.fn'],
    ['a symbol inside the payload', { s: Symbol('x') }, undefined, 'payload.s'],
    ['NaN inside the payload', { n: Number.NaN }, undefined, 'payload.n'],
    ['a circular payload', circular, undefined, 'payload'],
    ['an undefined payload', undefined, undefined, 'payload'],
    ['an undefined property', { to: undefined }, undefined, 'payload.to'],
    ['an undefined array item', [1, undefined], undefined, 'payload.1'],
    ['an array hole', new Array(3).fill(1, 0, 1), undefined, 'payload.1'],
    ['a Map', { seen: new Map([['a', 1]]) }, undefined, 'payload.seen'],
    ['a Set', { tags: new Set(['a']) }, undefined, 'payload.tags'],
    [
      'a class instance',
      {
        money: new (class Money {
          amount = 1;
        })(),
      },
      undefined,
      'payload.money',
    ],
    ['a Buffer (its toJSON changes it)', { file: Buffer.from('hi') }, undefined, 'payload.file'],
    ['a typed array', { bytes: new Uint8Array(2) }, undefined, 'payload.bytes'],
    ['a boxed string', { s: new String('x') }, undefined, 'payload.s'],
    [
      'a class instance with a toJSON',
      { d: { toJSON: () => 1, __proto__: class Decimal {}.prototype } },
      undefined,
      'payload.d',
    ],
    ['Infinity in an array', { xs: [1, Number.POSITIVE_INFINITY] }, undefined, 'payload.xs.1'],
  ];

  it.each(cases)('refuses %s', async (_what, payload, options, field) => {
    const q = h.queue('v');
    const error = await validationError(() => q.add('job', payload, options as never));
    expect(error.field).toBe(field);
    expect(error.details).toEqual({ field });
    expect((await q.getCounts()).waiting + (await q.getCounts()).scheduled).toBe(0);
  });

  it('names what the value is and why it is refused', async () => {
    const q = h.queue('v');
    const error = await validationError(() => q.add('job', { order: { seen: new Map() } }));
    expect(error.message).toBe(
      'payload.order.seen: a Map would not survive JSON; payloads hold plain objects, arrays, strings, finite numbers, booleans, null and Dates',
    );
  });

  it('stores exactly what JSON keeps: plain objects, arrays, null-prototype objects, and Dates as ISO strings', async () => {
    const q = h.queue('v');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    const at = new Date(Date.UTC(2026, 0, 31, 9));
    const payload = { a: [1, 'two', true, null, { b: -0.5 }], bare, at };
    const { id } = await q.add('job', payload);
    expect((await q.getJob(id))?.payload).toEqual({
      a: [1, 'two', true, null, { b: -0.5 }],
      bare: { k: 'v' },
      at: '2026-01-31T09:00:00.000Z',
    });
  });

  it('refuses a bad job name', async () => {
    const q = h.queue('v');
    expect((await validationError(() => q.add('', 1))).field).toBe('name');
    expect((await validationError(() => q.add('x'.repeat(201), 1))).field).toBe('name');
    expect((await validationError(() => q.add(42 as never, 1))).field).toBe('name');
  });

  it('refuses a payload over maxPayloadBytes, counting bytes, not characters', async () => {
    const q = h.queue('v', { maxPayloadBytes: 100 });
    const okPayload = 'a'.repeat(98); // JSON: 100 bytes with the quotes
    await expect(q.add('fits', okPayload)).resolves.toMatchObject({ created: true });
    const error = await validationError(() => q.add('big', 'a'.repeat(99)));
    expect(error.field).toBe('payload');
    expect(error.message).toMatch(/101 bytes, over the limit of 100/);
    // 40 characters of 3 bytes each: 122 bytes though only 42 characters.
    expect((await validationError(() => q.add('wide', '€'.repeat(40)))).field).toBe('payload');
    expect((await q.getCounts()).waiting).toBe(1);
  });

  it('enforces the default 1 MiB payload limit', async () => {
    const q = h.queue('v');
    const error = await validationError(() => q.add('huge', { blob: 'x'.repeat(1024 * 1024) }));
    expect(error.field).toBe('payload');
  });

  it('names the nearest valid key of a mistyped one, or lists them when none is close', async () => {
    const q = h.queue('v');
    const typo = await validationError(() => q.add('job', {}, { delya: 60_000 } as never));
    expect(typo.message).toBe("options.delya: is not a known option (did you mean 'delay'?)");
    const cased = await validationError(() => q.add('job', {}, { idempotencykey: 'k' } as never));
    expect(cased.message).toMatch(/did you mean 'idempotencyKey'\?/);
    const far = await validationError(() => q.add('job', {}, { colour: 'red' } as never));
    expect(far.message).toMatch(
      /known: priority, delay, runAt, maxAttempts, timeout, backoff, idempotencyKey/,
    );
  });

  it('refuses unknown option keys in addBulk, naming the entry', async () => {
    const q = h.queue('v');
    const error = await validationError(() =>
      q.addBulk([
        { name: 'a', payload: 1 },
        { name: 'b', payload: 2, options: { runat: 5 } as never },
      ]),
    );
    expect(error.field).toBe('jobs[1].options.runat');
    expect(error.message).toMatch(/did you mean 'runAt'\?/);
    expect((await q.getCounts()).waiting).toBe(0);
  });

  it('reads only own option keys: inherited ones are neither refused nor used', async () => {
    const q = h.queue('v');
    const options = Object.create({ delya: 1, delay: 60_000 }) as Record<string, unknown>;
    options.priority = 'high';
    await q.add('job', {}, options as never);
    const [job] = await h.store.listJobs({ queue: 'v', limit: 10 });
    expect(job).toMatchObject({ priority: 2, runAt: h.t0 });
  });

  it('addSync validates the same way', async () => {
    const q = h.queue('v');
    expect((await validationError(() => q.addSync('x', { n: 1n }))).field).toBe('payload.n');
    expect((await validationError(() => q.addSync('x', 1, { maxAttempts: 0 }))).field).toBe(
      'options.maxAttempts',
    );
  });
});

describe('queue validation', () => {
  it.each([
    ['', 'empty'],
    ['has space', 'a space'],
    ['-leading-dash', 'a leading dash'],
    ['x'.repeat(129), 'too long'],
    ['a/b', 'a slash'],
  ])('refuses queue name %j (%s)', async (name) => {
    const error = await validationError(() => new Queue(name, { store: h.store }));
    expect(error.field).toBe('queue');
  });

  it('accepts names with letters, digits, dots, colons, underscores and dashes', () => {
    expect(new Queue('Mail.v2:high_priority-1', { store: h.store }).name).toBe('Mail.v2:high_priority-1');
  });

  it('refuses a missing store, a bad maxPayloadBytes and bad defaultJobOptions', async () => {
    expect((await validationError(() => new Queue('q', {} as never))).field).toBe('store');
    expect((await validationError(() => new Queue('q', { store: h.store, maxPayloadBytes: 0 }))).field).toBe(
      'maxPayloadBytes',
    );
    expect(
      (
        await validationError(
          () => new Queue('q', { store: h.store, defaultJobOptions: { maxAttempts: -1 } }),
        )
      ).field,
    ).toBe('options.maxAttempts');
    expect(
      (
        await validationError(
          () => new Queue('q', { store: h.store, defaultJobOptions: { delya: 1 } as never }),
        )
      ).field,
    ).toBe('defaultJobOptions.delya');
  });
});

describe('worker validation', () => {
  const handler = async () => undefined;
  const cases: [string, Record<string, unknown>, string][] = [
    ['concurrency 0', { concurrency: 0 }, 'concurrency'],
    ['fractional concurrency', { concurrency: 1.5 }, 'concurrency'],
    ['heartbeatMs equal to leaseMs', { leaseMs: 30_000, heartbeatMs: 30_000 }, 'heartbeatMs'],
    ['heartbeatMs above leaseMs', { leaseMs: 1000, heartbeatMs: 5000 }, 'heartbeatMs'],
    ['heartbeatMs above the default leaseMs', { heartbeatMs: 40_000 }, 'heartbeatMs'],
    ['a tiny leaseMs', { leaseMs: 10, heartbeatMs: 5 }, 'leaseMs'],
    ['maxOrphans 0', { maxOrphans: 0 }, 'maxOrphans'],
    ['a negative shutdownTimeoutMs', { shutdownTimeoutMs: -1 }, 'shutdownTimeoutMs'],
    ['a bad prefetch', { prefetch: 'lots' }, 'prefetch'],
    ['a rate limit of 0', { rateLimit: { limit: 0, intervalMs: 1000 } }, 'rateLimit.limit'],
    ['an unknown autorun value', { autorun: 'yes' }, 'autorun'],
  ];

  it.each(cases)('refuses %s', async (_what, options, field) => {
    const error = await validationError(
      () => new Worker('w', handler, { store: h.store, clock: h.clock, autorun: false, ...options }),
    );
    expect(error.field).toBe(field);
  });

  it('refuses a missing handler and a missing store', async () => {
    expect((await validationError(() => new Worker('w', 'nope' as never, { store: h.store }))).field).toBe(
      'handler',
    );
    expect((await validationError(() => new Worker('w', handler, undefined as never))).field).toBe('store');
  });

  it('refuses a bad queue name, like Queue does', async () => {
    const error = await validationError(
      () => new Worker('has space', handler, { store: h.store, clock: h.clock, autorun: false }),
    );
    expect(error.field).toBe('queue');
  });
});
