import { describe, expect, it } from 'vitest';
import { createSeededRandom, FakeClock } from '../../src/core/clock.js';
import { JobTimeoutError } from '../../src/core/errors.js';
import { AckBatcher, MAX_IDS_PER_XACK } from '../../src/streams/acks.js';
import { failureReason, idTime, toMessage } from '../../src/streams/entries.js';
import { HeldMessage } from '../../src/streams/held.js';
import { resolveStreamOptions } from '../../src/streams/options.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function batcher(batchSize = 3) {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const acked: string[][] = [];
  const errors: unknown[] = [];
  let fail = 0;
  let hold: (() => void) | undefined;
  const acks = new AckBatcher(
    async (ids) => {
      sent.push(ids);
      if (hold) await new Promise<void>((r) => (hold = r));
      if (fail > 0) {
        fail--;
        throw new Error('connection lost');
      }
    },
    (ids) => acked.push(ids),
    (e) => errors.push(e),
    batchSize,
    clock,
  );
  return {
    clock,
    acks,
    sent,
    acked,
    errors,
    failNext: (n: number) => {
      fail = n;
    },
    holdNext: () => {
      hold = () => {};
    },
    release: () => {
      const h = hold;
      hold = undefined;
      h?.();
    },
  };
}

describe('AckBatcher', () => {
  it('sends a full batch at once and a partial one at the end of the turn', async () => {
    const b = batcher(3);
    b.acks.add('1');
    b.acks.add('2');
    expect(b.sent).toEqual([]);
    b.acks.add('3');
    await flush();
    b.acks.add('4');
    await flush();
    await flush();
    expect(b.sent).toEqual([['1', '2', '3'], ['4']]);
    expect(b.acked).toEqual([['1', '2', '3'], ['4']]);
  });

  it('one XACK in flight at a time: what arrives meanwhile forms the next batch', async () => {
    const b = batcher(2);
    b.holdNext();
    b.acks.add('1');
    b.acks.add('2');
    await flush();
    for (const id of ['3', '4', '5', '6', '7']) b.acks.add(id);
    await flush();
    expect(b.sent).toEqual([['1', '2']]);
    b.release();
    await flush();
    await flush();
    expect(b.sent).toEqual([
      ['1', '2'],
      ['3', '4', '5', '6', '7'],
    ]);
  });

  it('keeps the ids of a failed XACK and retries after a delay on the clock', async () => {
    const b = batcher(3);
    b.failNext(1);
    b.acks.add('1');
    b.acks.add('2');
    b.acks.add('3');
    await flush();
    expect(b.errors).toHaveLength(1);
    expect(b.acks.waiting).toBe(3);
    b.clock.advance(99);
    await flush();
    expect(b.sent).toHaveLength(1);
    b.clock.advance(1);
    await flush();
    await flush();
    expect(b.sent.at(-1)).toEqual(['1', '2', '3']);
    expect(b.acked).toEqual([['1', '2', '3']]);
  });

  it('bounds the size of one XACK', async () => {
    const b = batcher(5000);
    for (let i = 0; i < MAX_IDS_PER_XACK + 10; i++) b.acks.add(String(i));
    await flush();
    await flush();
    await flush();
    expect(b.sent.map((s) => s.length)).toEqual([MAX_IDS_PER_XACK, 10]);
  });

  it('drain() flushes until nothing waits; stop() ends retries', async () => {
    const b = batcher(10);
    b.acks.add('1');
    await b.acks.drain(b.clock.now() + 1000);
    expect(b.acked).toEqual([['1']]);
    b.failNext(1);
    b.acks.add('2');
    await flush();
    await flush();
    b.acks.stop();
    expect(b.clock.pendingTimers).toBe(0);
  });
});

describe('stream entries', () => {
  const flat = ['a', '1', 'b', '2', 'a', '3'].map((x) => Buffer.from(x));
  const message = toMessage('orders', ['1700000000000-3', flat], 2, false);

  it('parses fields lazily, keeping repeats in pairs; values as strings, or Buffers when binary', () => {
    expect(message.fields).toEqual({ a: '3', b: '2' });
    expect(message.pairs).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(message.attempt).toBe(2);
    expect(JSON.parse(JSON.stringify(message))).toMatchObject({
      id: '1700000000000-3',
      stream: 'orders',
      attempt: 2,
    });
    expect(idTime(message.id)).toBe(1_700_000_000_000);
    const binary = toMessage('orders', ['1-0', flat], 1, true);
    expect(binary.fields.a).toEqual(Buffer.from('3'));
    expect(binary.pairs[0]).toEqual(['a', Buffer.from('1')]);
    expect(binary.raw).toBe(flat);
  });

  it('failure reasons name the error class and code, bounded in length', () => {
    expect(failureReason(new TypeError('nope'))).toBe('TypeError: nope');
    expect(failureReason(new JobTimeoutError(5))).toBe(
      'JobTimeoutError [JOB_TIMEOUT]: job timed out after 5 ms',
    );
    expect(failureReason('plain')).toBe('Error: plain');
    expect(failureReason(new Error('x'.repeat(5000))).length).toBe(2000);
  });
});

describe('HeldMessage', () => {
  it('creates its AbortSignal only when asked, and a late one is already aborted', () => {
    const h = new HeldMessage('1-0', 's', [Buffer.from('k'), Buffer.from('v')], 1, false, 'c');
    expect(h.abort(new Error('first'))).toBe(true);
    expect(h.abort(new Error('second'))).toBe(false);
    expect(h.signal.aborted).toBe(true);
    expect((h.signal.reason as Error).message).toBe('first');
    const fresh = new HeldMessage('2-0', 's', null, 3, false, 'c');
    const signal = fresh.signal;
    expect(signal.aborted).toBe(false);
    fresh.abort('stop');
    expect(signal.aborted).toBe(true);
    expect(fresh.attempt).toBe(3);
    expect(fresh.consumer).toBe('c');
    expect(fresh.fields).toEqual({});
  });
});

describe('stream options', () => {
  const base = { stream: 's', group: 'g', handler: async () => {} };
  it('derives defaults from the handler timeout', () => {
    const o = resolveStreamOptions({ ...base, handlerTimeoutMs: 45_000 }, createSeededRandom(1));
    expect(o).toMatchObject({
      batchSize: 100,
      concurrency: 10,
      prefetch: 100,
      blockMs: 2000,
      claimMinIdleMs: 90_000,
      claimIntervalMs: 45_000,
      renewIntervalMs: 22_500,
      maxRetries: 3,
      dlqStream: 's:dlq',
      dlqMaxLen: 100_000,
      startId: '0',
      fieldValues: 'string',
    });
    expect(o.consumer).toMatch(/:\d+:[0-9a-f]{6}$/);
  });

  it('field values are strings or Buffers, nothing else', () => {
    const random = createSeededRandom(1);
    expect(resolveStreamOptions({ ...base, fieldValues: 'buffer' }, random).fieldValues).toBe('buffer');
    expect(() => resolveStreamOptions({ ...base, fieldValues: 'utf16' as never }, random)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'fieldValues' }),
    );
  });
});
