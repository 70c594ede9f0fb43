/**
 * defineTask with a Standard Schema of each library users bring (zod 4, valibot, arktype, or a
 * hand-written one, synchronous or not): payloads are validated at enqueue with errors that name
 * the paths, handled as the schema's output, and typed from the schema.
 */
import { type } from 'arktype';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createTaskRouter,
  defineTask,
  type StandardSchemaV1,
  type Task,
  ValidationError,
  Worker,
} from '../../src/index.js';
import { createFakeTime, type FakeTime } from './fake-time-harness.js';

let t: FakeTime;
beforeEach(() => {
  t = createFakeTime();
});
afterEach(async () => {
  await t.cleanup();
});

function serve(queueName: string, tasks: Parameters<typeof createTaskRouter>[0]): void {
  const w = new Worker(queueName, createTaskRouter(tasks), {
    store: t.store,
    clock: t.clock,
    random: t.random(),
    pollIntervalMs: 10,
  });
  t.onCleanup(() => w.close({ timeoutMs: 0 }));
}

async function rejection(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

const schemas = {
  zod: z.object({ to: z.string().min(3), tags: z.array(z.string()), retries: z.number().default(3) }),
  valibot: v.object({
    to: v.pipe(v.string(), v.minLength(3)),
    tags: v.array(v.string()),
    retries: v.optional(v.number(), 3),
  }),
  arktype: type({ to: 'string >= 3', tags: 'string[]', retries: 'number = 3' }),
};

describe.each(Object.entries(schemas))('defineTask with a %s schema', (_vendor, schema) => {
  it('enqueues the validated output and hands it to the handler', async () => {
    const q = t.queue('mail');
    const seen: unknown[] = [];
    const send = defineTask(
      q,
      'send',
      (payload) => {
        seen.push(payload);
        return payload.retries;
      },
      { schema },
    );
    const { id } = await send.delay({ to: 'ann', tags: ['a'] });
    expect((await q.getJob(id))?.payload).toEqual({ to: 'ann', tags: ['a'], retries: 3 });
    serve('mail', [send]);
    await t.waitFor(async () => (await q.getJob(id))?.state === 'completed', { what: 'completed' });
    expect((await q.getJob(id))?.result).toBe(3);
    expect(seen).toEqual([{ to: 'ann', tags: ['a'], retries: 3 }]);
  });

  it('refuses an invalid payload with a ValidationError naming every path, enqueueing nothing', async () => {
    const q = t.queue('mail');
    const send = defineTask(q, 'send', (payload) => payload.to, { schema });
    const bad = { to: 'x', tags: ['ok', 7] } as unknown as { to: string; tags: string[] };
    const error = await rejection(send.delay(bad));
    const paths = ((error.details?.issues ?? []) as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(['payload.tags[1]', 'payload.to']);
    expect(paths).toContain(error.field);
    expect(error.message).toContain('payload.tags[1]');
    expect(error.message).toContain('payload.to');
    expect(error.code).toBe('VALIDATION_FAILED');

    const bulk = await rejection(send.map([{ to: 'bob', tags: [] }, bad]));
    expect(bulk.field).toMatch(/^payloads\[1\]\.(to|tags\[1\])$/);
    await expect(send.run(bad)).rejects.toBeInstanceOf(ValidationError);
    expect((await q.getCounts()).waiting).toBe(0);
    expect(send.stats()).toMatchObject({ enqueued: 0, ranDirectly: 0 });
  });

  it('infers the input type for enqueueing and the output type for the handler', () => {
    const q = t.queue('types');
    const send = defineTask(
      q,
      'send',
      (payload) => {
        expectTypeOf(payload).toEqualTypeOf<{ to: string; tags: string[]; retries: number }>();
        return payload.tags.length;
      },
      { schema },
    );
    expectTypeOf(send.delay).parameter(0).toMatchTypeOf<{ to: string; tags: string[]; retries?: number }>();
    expectTypeOf(send.run).returns.toEqualTypeOf<Promise<number>>();
    // @ts-expect-error `to` is required by the schema
    void send.delay({ tags: [] }).catch(() => undefined);
  });
});

describe('defineTask with a hand-written Standard Schema', () => {
  /** An asynchronous schema (as a check against a database would be): even numbers only. */
  const evenAsync: StandardSchemaV1<number, number> = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async (value) =>
        typeof value === 'number' && value % 2 === 0
          ? { value }
          : { issues: [{ message: 'must be even', path: [{ key: 'n' }] }] },
    },
  };

  it('awaits an asynchronous validate at enqueue, in map, in run and at pickup', async () => {
    const q = t.queue('async');
    const half: Task<number, number> = defineTask(q, 'half', (n) => n / 2, { schema: evenAsync });
    expect((await half.delay(4)).created).toBe(true);
    expect((await half.map([2, 6])).length).toBe(2);
    expect(await half.run(8)).toBe(4);
    const error = await rejection(half.delay(3));
    expect(error.field).toBe('payload.n');
    expect(error.message).toBe('payload.n: must be even');
    expect((await rejection(half.map([2, 5]))).field).toBe('payloads[1].n');

    const { id } = await q.add('half', 7, { maxAttempts: 5 });
    serve('async', [half]);
    await t.waitFor(async () => (await q.getCounts()).completed === 3, { what: 'valid jobs completed' });
    await t.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { what: 'dead-lettered' });
    expect((await q.getJob(id))?.attempts[0]).toMatchObject({ errorClass: 'ValidationError' });
  });

  it('names the payload itself when an issue has no path', async () => {
    const q = t.queue('root');
    const never: StandardSchemaV1<string> = {
      '~standard': { version: 1, vendor: 'test', validate: () => ({ issues: [{ message: 'closed' }] }) },
    };
    const task = defineTask(q, 'closed', (s) => s, { schema: never });
    const error = await rejection(task.delay('x'));
    expect(error.field).toBe('payload');
    expect(error.details).toMatchObject({ issues: [{ path: 'payload', message: 'closed' }] });
  });
});
