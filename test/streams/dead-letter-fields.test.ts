import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import type { StreamMessage } from '../../src/streams/types.js';
import { redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { StreamFixture } from './helpers.js';
import { INVALID_UTF8, ORDER_PROTO } from './protobuf.js';

const redis = await redisService();

describe.skipIf(!redis.available)(
  'StreamProcessor: producer fields reach handlers, the DLQ and replays exactly',
  () => {
    let fx: StreamFixture | undefined;
    afterEach(async () => {
      await fx?.close();
      fx = undefined;
    });

    /** The fields of a stream's entries, as the exact bytes Redis holds. */
    const bytesOf = async (f: StreamFixture, key: string) =>
      (await f.redis.xrangeBuffer(key, '-', '+')).map(([, fields]) => fields);

    for (const fieldValues of ['buffer', 'string'] as const) {
      it(`binary values (invalid UTF-8, protobuf) are copied byte for byte to the DLQ and back (fieldValues: ${fieldValues})`, async () => {
        fx = new StreamFixture();
        const f = fx;
        let fail = true;
        const seen: StreamMessage<Buffer | string>[] = [];
        const p = f.processor(
          async (m) => {
            seen.push(m);
            if (fail) throw new PermanentError('not yet');
          },
          { fieldValues },
        );
        await p.start();
        const produced = [Buffer.from('raw'), INVALID_UTF8, Buffer.from('order'), ORDER_PROTO];
        await f.redis.xadd(f.stream, '*', ...produced);
        await waitFor('dead-lettered', () => p.stats().deadLettered === 1);
        if (fieldValues === 'buffer') {
          expect(seen[0]?.fields.raw).toEqual(INVALID_UTF8);
          expect(seen[0]?.fields.order).toEqual(ORDER_PROTO);
          expect(seen[0]?.pairs.map(([k]) => k)).toEqual(['raw', 'order']);
        } else {
          expect(seen[0]?.fields.raw).toBe('\ufffd\ufffd\ufffdabc'); // decoded for the handler only
        }
        const [dlqEntry] = await bytesOf(f, f.dlq);
        expect(dlqEntry?.slice(0, 4)).toEqual(produced);
        const [listed] = await p.listDlq();
        expect(listed?.fields.order).toEqual(fieldValues === 'buffer' ? ORDER_PROTO : ORDER_PROTO.toString());
        fail = false;
        await p.replayFromDlq(listed?.id as string);
        const [, replayed] = await bytesOf(f, f.stream);
        expect(replayed?.slice(0, 4)).toEqual(produced);
        await waitFor('replayed handled', () => p.stats().acked === 1);
        expect(seen.at(-1)?.fields.order).toEqual(
          fieldValues === 'buffer' ? ORDER_PROTO : ORDER_PROTO.toString(),
        );
      });
    }

    it('producer fields named like the DLQ metadata are kept in the DLQ and restored by the replay', async () => {
      fx = new StreamFixture();
      const f = fx;
      let fail = true;
      const handled: StreamMessage[] = [];
      const p = f.processor(async (m) => {
        if (fail) throw new PermanentError('no');
        handled.push(m);
      });
      await p.start();
      const producer = [
        'dlq_attempts',
        '99',
        'dlq_original_stream',
        'elsewhere',
        'dlq_failure_reason',
        'none',
        'replayed_from_dlq',
        'x',
        '@dlq:attempts',
        'y',
        '@@dlq:z',
        'z',
      ];
      await f.redis.xadd(f.stream, '*', ...producer);
      await waitFor('dead-lettered', () => p.stats().deadLettered === 1);
      const [entry] = await p.listDlq();
      expect(entry?.pairs.flat()).toEqual(producer);
      expect(entry).toMatchObject({
        originalStream: f.stream,
        attempts: 1,
        failureReason: 'PermanentError [PERMANENT_FAILURE]: no',
      });
      fail = false;
      const { replayed } = await p.replayFromDlq({});
      expect(replayed.map((r) => r.stream)).toEqual([f.stream]); // not 'elsewhere'
      await waitFor('replayed handled', () => handled.length === 1);
      expect(handled[0]?.pairs.flat()).toEqual([...producer, '@dlq:replayed_from', entry?.id]);
    });

    it('entries already in the DLQ in the old format (dlq_* metadata) are listed and replayed', async () => {
      fx = new StreamFixture();
      const f = fx;
      const handled: StreamMessage[] = [];
      const p = f.processor(async (m) => {
        handled.push(m);
      });
      await p.start();
      const oldId = await f.redis.xadd(
        f.dlq,
        '*',
        'n',
        '1',
        'dlq_original_stream',
        f.stream,
        'dlq_original_id',
        '1-0',
        'dlq_failure_reason',
        'Error: old',
        'dlq_attempts',
        '4',
        'dlq_timestamp',
        '1700000000000',
        'dlq_group',
        'g',
        'dlq_consumer',
        'old-consumer',
      );
      const [entry] = await p.listDlq();
      expect(entry).toMatchObject({
        id: oldId,
        originalStream: f.stream,
        originalId: '1-0',
        attempts: 4,
        consumer: 'old-consumer',
        fields: { n: '1' },
      });
      await p.replayFromDlq({ reason: 'old' });
      await waitFor('replayed handled', () => handled.length === 1);
      expect(handled[0]?.pairs).toEqual([
        ['n', '1'],
        ['@dlq:replayed_from', oldId],
      ]);
    });
  },
);
