import { describe, expect, it } from 'vitest';
import {
  DLQ_FIELDS,
  dlqFields,
  parseDlqEntry,
  REPLAYED_FROM_DLQ,
  replayFields,
} from '../../src/streams/dlq-format.js';
import { toDeadLetterEntry, toMessage } from '../../src/streams/entries.js';
import { INVALID_UTF8, ORDER_PROTO } from './protobuf.js';

/** What Redis stores and returns for a field list: bytes. */
const stored = (flat: readonly (Buffer | string)[]) =>
  flat.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x)));
const meta = { reason: 'Error: x', attempts: 4, at: 123, group: 'g', consumer: 'c' };

/** Dead-letters a message with these fields, then reads the DLQ entry back. */
function roundTrip(fields: (Buffer | string)[], dlqId = '9-0') {
  const message = toMessage('orders', ['1700000000000-3', stored(fields)], 4, false);
  const flat = stored(dlqFields(message, meta));
  return { flat, parsed: parseDlqEntry(dlqId, flat) };
}

describe('DLQ entry format', () => {
  it('keeps producer fields named like the metadata, exactly and in order (old names, new names, escapes)', () => {
    const producer = [
      'n',
      '1',
      'dlq_attempts',
      'from the producer',
      'dlq_original_stream',
      'mine',
      'replayed_from_dlq',
      'also mine',
      '@dlq:attempts',
      'a',
      '@@dlq:attempts',
      'b',
      '@dlq',
      'c',
      'n',
      '2',
    ];
    const { flat, parsed } = roundTrip(producer);
    // Producer names that look like the metadata's prefix get one more '@'; nothing else changes.
    expect(flat.slice(0, producer.length).map(String)).toEqual(
      producer.map((x) =>
        x === '@dlq:attempts' ? '@@dlq:attempts' : x === '@@dlq:attempts' ? '@@@dlq:attempts' : x,
      ),
    );
    expect(parsed.producer.map(String)).toEqual(producer);
    expect(parsed.legacy).toBe(false);
    const entry = toDeadLetterEntry(parsed, false);
    expect(entry).toMatchObject({
      id: '9-0',
      originalStream: 'orders',
      originalId: '1700000000000-3',
      failureReason: 'Error: x',
      attempts: 4,
      deadLetteredAt: 123,
      group: 'g',
      consumer: 'c',
      replayedFrom: null,
    });
    expect(entry.fields).toMatchObject({ dlq_attempts: 'from the producer', '@dlq:attempts': 'a', n: '2' });
    expect(replayFields(parsed).map(String)).toEqual([...producer, REPLAYED_FROM_DLQ, '9-0']);
  });

  it('copies binary names and values byte for byte: invalid UTF-8 and a protobuf message', () => {
    const weirdName = Buffer.from([0x40, 0xc3, 0x28]); // '@' then an invalid UTF-8 sequence
    const { parsed } = roundTrip(['raw', INVALID_UTF8, 'order', ORDER_PROTO, weirdName, 'x']);
    expect(parsed.producer).toEqual([
      Buffer.from('raw'),
      INVALID_UTF8,
      Buffer.from('order'),
      ORDER_PROTO,
      weirdName,
      Buffer.from('x'),
    ]);
    const replay = stored(replayFields(parsed));
    expect(Buffer.concat(replay.slice(0, 6)).equals(Buffer.concat(parsed.producer))).toBe(true);
    expect(toDeadLetterEntry<Buffer>(parsed, true).fields.order?.equals(ORDER_PROTO)).toBe(true);
    // As strings they are decoded (lossily) for reading only.
    expect(toDeadLetterEntry(parsed, false).fields.raw).toBe('\ufffd\ufffd\ufffdabc');
  });

  it('a replayed message failing again carries the newest replay marker as metadata, not as a field', () => {
    const first = roundTrip(['n', '1'], '10-0').parsed;
    const again = roundTrip(replayFields(first), '11-0');
    expect(again.parsed.meta.replayedFrom).toBe('10-0');
    expect(again.parsed.producer.map(String)).toEqual(['n', '1']);
    expect(toDeadLetterEntry(again.parsed, false).replayedFrom).toBe('10-0');
    expect(replayFields(again.parsed).map(String)).toEqual(['n', '1', REPLAYED_FROM_DLQ, '11-0']);
  });

  it('reads entries written before the @dlq: prefix (their dlq_* fields are metadata) and replays them clean', () => {
    const legacy = stored([
      'n',
      '1',
      'replayed_from_dlq',
      '3-0',
      'dlq_original_stream',
      'orders',
      'dlq_original_id',
      '1-0',
      'dlq_failure_reason',
      'Error: old',
      'dlq_attempts',
      '3',
      'dlq_timestamp',
      '55',
      'dlq_group',
      'g',
      'dlq_consumer',
      'c',
    ]);
    const parsed = parseDlqEntry('7-0', legacy);
    expect(parsed.legacy).toBe(true);
    expect(toDeadLetterEntry(parsed, false)).toEqual({
      id: '7-0',
      originalStream: 'orders',
      originalId: '1-0',
      failureReason: 'Error: old',
      attempts: 3,
      deadLetteredAt: 55,
      group: 'g',
      consumer: 'c',
      replayedFrom: '3-0',
      pairs: [['n', '1']],
      fields: { n: '1' },
    });
    expect(replayFields(parsed).map(String)).toEqual(['n', '1', REPLAYED_FROM_DLQ, '7-0']);
  });

  it('drops metadata it does not know (a newer version), keeps everything else', () => {
    const flat = stored(['@@dlq:future', 'p', '@dlq:future', 'm', DLQ_FIELDS.originalId, '1-0']);
    const parsed = parseDlqEntry('8-0', flat);
    expect(parsed.producer.map(String)).toEqual(['@dlq:future', 'p']);
    expect(parsed.meta).toEqual({ originalId: '1-0' });
  });
});
