import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, ValidationError } from '../../src/core/errors.js';
import type { StreamMessage } from '../../src/streams/types.js';
import { redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { StreamFixture } from './helpers.js';

const redis = await redisService();

describe.skipIf(!redis.available)('StreamProcessor: a DLQ stream shared by several streams', () => {
  let fx: StreamFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  /** Streams A and B, one processor each, both dead-lettering into one DLQ stream. */
  async function twoStreams() {
    fx = new StreamFixture();
    const f = fx;
    const shared = `${f.prefix}shared-dlq`;
    const streamB = `${f.prefix}b`;
    let fail = true;
    const handledA: StreamMessage[] = [];
    const handledB: StreamMessage[] = [];
    const handler = (into: StreamMessage[]) => async (m: StreamMessage) => {
      if (fail) throw new PermanentError(`no ${m.fields.n}`);
      into.push(m);
    };
    const a = f.processor(handler(handledA), { dlqStream: shared });
    const b = f.processor(handler(handledB), { dlqStream: shared, stream: streamB });
    await a.start();
    await b.start();
    await f.redis.xadd(f.stream, '*', 'n', 'a1');
    await f.redis.xadd(streamB, '*', 'n', 'b1');
    await f.redis.xadd(f.stream, '*', 'n', 'a2');
    await waitFor('all dead-lettered', () => a.stats().deadLettered === 2 && b.stats().deadLettered === 1);
    const streamOf = async (key: string) =>
      (await f.redis.xrange(key, '-', '+')).map(([, fields]) => fields[1]);
    return {
      f,
      a,
      b,
      shared,
      streamB,
      handledA,
      handledB,
      streamOf,
      succeed: () => {
        fail = false;
      },
    };
  }

  it('replays only its own stream entries by default: a filter skips the others', async () => {
    const { f, a, b, shared, streamB, handledA, handledB, streamOf, succeed } = await twoStreams();
    expect((await a.listDlq()).map((e) => [e.originalStream, e.fields.n])).toEqual([
      [f.stream, 'a1'],
      [streamB, 'b1'],
      [f.stream, 'a2'],
    ]);
    succeed();
    const fromA = await a.replayFromDlq({});
    // A's replay leaves B's dead letter alone (it used to append it to A: a1 a2 a1 b1 a2).
    expect(await streamOf(f.stream)).toEqual(['a1', 'a2', 'a1', 'a2']);
    expect(await streamOf(streamB)).toEqual(['b1']);
    expect(fromA.replayed.map((r) => r.stream)).toEqual([f.stream, f.stream]);
    expect(fromA.refused).toEqual([]);
    expect((await f.redis.xrange(shared, '-', '+')).length).toBe(1);
    const fromB = await b.replayFromDlq({});
    expect(fromB.replayed.map((r) => r.stream)).toEqual([streamB]);
    expect(await streamOf(streamB)).toEqual(['b1', 'b1']);
    expect(await f.redis.xlen(shared)).toBe(0);
    await waitFor('replayed handled', () => handledA.length === 2 && handledB.length === 1);
    expect(handledA.map((m) => m.fields.n).sort()).toEqual(['a1', 'a2']);
    expect(handledB.map((m) => m.fields.n)).toEqual(['b1']);
  });

  it('refuses ids of another stream (left in the DLQ), and routes them to their own stream with otherStreams: original', async () => {
    const { f, a, shared, streamB, handledB, streamOf, succeed } = await twoStreams();
    succeed();
    const dlq = await a.listDlq();
    const bEntry = dlq.find((e) => e.originalStream === streamB);
    const ids = dlq.map((e) => e.id);
    const refused = await a.replayFromDlq([bEntry?.id as string]);
    expect(refused).toEqual({
      replayed: [],
      notFound: [],
      refused: [{ dlqId: bEntry?.id, originalStream: streamB }],
    });
    expect(await f.redis.xlen(shared)).toBe(3);
    await expect(a.replayFromDlq(ids, { otherStreams: 'elsewhere' as never })).rejects.toThrow(
      ValidationError,
    );
    const routed = await a.replayFromDlq(ids, { otherStreams: 'original' });
    expect(routed.replayed.map((r) => [r.dlqId, r.stream])).toEqual([
      [ids[0], f.stream],
      [ids[1], streamB],
      [ids[2], f.stream],
    ]);
    expect(await streamOf(f.stream)).toEqual(['a1', 'a2', 'a1', 'a2']);
    expect(await streamOf(streamB)).toEqual(['b1', 'b1']);
    expect(await f.redis.xlen(shared)).toBe(0);
    await waitFor('b handled its own message', () => handledB.length === 1);
    expect(a.stats().replayedFromDlq).toBe(3);
  });
});
