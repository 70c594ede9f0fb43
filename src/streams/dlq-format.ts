/**
 * The fields of a DLQ stream entry, byte for byte: the producer's fields, copied exactly, then
 * redrive's metadata under a reserved, escaped prefix — so that no producer field can collide with
 * the metadata, whatever its name or bytes.
 *
 * - Metadata field names are `@dlq:` + a key (`@dlq:original_stream`, ...; {@link DLQ_FIELDS}).
 * - A producer field whose name is one or more `@` followed by `dlq:` (`@dlq:x`, `@@dlq:x` ...) is
 *   stored with one more `@` in front; reading removes it again. Every other name is stored as is.
 *   So a name with exactly one `@` before `dlq:` is always metadata.
 * - In the main stream, `@dlq:replayed_from` ({@link REPLAYED_FROM_DLQ}) marks a replayed message;
 *   dead-lettered again, it becomes the entry's `@dlq:replayed_from` metadata (not a producer field).
 * - Entries written before this format (metadata `dlq_original_stream`, ... and no `@dlq:` field;
 *   producer fields of those names had been dropped) are still read, and replayed without it.
 */

import type { LazyMessage } from './held.js';

/** Metadata fields of a DLQ entry (removed again on replay). */
export const DLQ_FIELDS = Object.freeze({
  originalStream: '@dlq:original_stream',
  originalId: '@dlq:original_id',
  failureReason: '@dlq:failure_reason',
  attempts: '@dlq:attempts',
  timestamp: '@dlq:timestamp',
  group: '@dlq:group',
  consumer: '@dlq:consumer',
  /** The DLQ entry id a dead-lettered message had been replayed from, if it had. */
  replayedFrom: '@dlq:replayed_from',
});

/** The field a replayed message carries in its stream: the DLQ entry id it came from. */
export const REPLAYED_FROM_DLQ = DLQ_FIELDS.replayedFrom;

/** Metadata names of the format before the `@dlq:` prefix (read for compatibility only). */
const LEGACY_FIELDS: Readonly<Record<string, keyof typeof DLQ_FIELDS>> = Object.freeze({
  dlq_original_stream: 'originalStream',
  dlq_original_id: 'originalId',
  dlq_failure_reason: 'failureReason',
  dlq_attempts: 'attempts',
  dlq_timestamp: 'timestamp',
  dlq_group: 'group',
  dlq_consumer: 'consumer',
  replayed_from_dlq: 'replayedFrom',
});

const KEY_BY_NAME = new Map<string, keyof typeof DLQ_FIELDS>(
  Object.entries(DLQ_FIELDS).map(([key, name]) => [name, key as keyof typeof DLQ_FIELDS]),
);

const AT = 0x40;
const AT_BYTE = Buffer.from('@');
const PREFIX_TAIL = Buffer.from('dlq:');
const REPLAYED_FROM_BYTES = Buffer.from(REPLAYED_FROM_DLQ);

/** The number of `@` before `dlq:` at the start of `name` (0 when it does not start that way). */
function reservedDepth(name: Buffer): number {
  let at = 0;
  while (at < name.length && name[at] === AT) at++;
  if (at === 0 || name.length < at + PREFIX_TAIL.length) return 0;
  return name.compare(PREFIX_TAIL, 0, PREFIX_TAIL.length, at, at + PREFIX_TAIL.length) === 0 ? at : 0;
}

/** The DLQ metadata written with a message. */
export interface DlqMeta {
  reason: string;
  attempts: number;
  at: number;
  group: string;
  consumer: string;
}

/** The flat field list of a DLQ entry: the producer's fields (escaped), then the metadata. */
export function dlqFields(message: LazyMessage, meta: DlqMeta): (Buffer | string)[] {
  const flat = message.raw;
  const out: (Buffer | string)[] = [];
  let replayedFrom: Buffer | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as Buffer;
    const value = flat[i + 1] as Buffer;
    if (name.equals(REPLAYED_FROM_BYTES)) replayedFrom = value;
    else out.push(reservedDepth(name) > 0 ? Buffer.concat([AT_BYTE, name]) : name, value);
  }
  out.push(
    DLQ_FIELDS.originalStream,
    message.stream,
    DLQ_FIELDS.originalId,
    message.id,
    DLQ_FIELDS.failureReason,
    meta.reason,
    DLQ_FIELDS.attempts,
    String(meta.attempts),
    DLQ_FIELDS.timestamp,
    String(meta.at),
    DLQ_FIELDS.group,
    meta.group,
    DLQ_FIELDS.consumer,
    meta.consumer,
  );
  if (replayedFrom) out.push(DLQ_FIELDS.replayedFrom, replayedFrom);
  return out;
}

/** A DLQ entry split into the producer's fields (exact bytes, unescaped) and the metadata. */
export interface ParsedDlqEntry {
  id: string;
  /** Metadata values by key (absent when the entry lacks them). */
  meta: Partial<Record<keyof typeof DLQ_FIELDS, string>>;
  /** The producer's fields, flat (`name, value, ...`), as they were in the original stream. */
  producer: Buffer[];
  /** Written before the `@dlq:` format. */
  legacy: boolean;
}

/** Splits a DLQ entry (either format) into the producer's fields and the metadata. */
export function parseDlqEntry(id: string, flat: readonly Buffer[] | null): ParsedDlqEntry {
  const fields = flat ?? [];
  let legacy = true;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (reservedDepth(fields[i] as Buffer) === 1) {
      legacy = false;
      break;
    }
  }
  const meta: ParsedDlqEntry['meta'] = {};
  const producer: Buffer[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    const value = fields[i + 1] as Buffer;
    if (legacy) {
      const key = LEGACY_FIELDS[name.toString()];
      if (key) meta[key] = value.toString();
      else producer.push(name, value);
      continue;
    }
    const depth = reservedDepth(name);
    if (depth === 1) {
      const key = KEY_BY_NAME.get(name.toString());
      if (key) meta[key] = value.toString(); // an unknown `@dlq:` name (a newer version's) is dropped
    } else producer.push(depth > 1 ? name.subarray(1) : name, value);
  }
  return { id, meta, producer, legacy };
}

/** The flat field list that puts a DLQ entry back on its stream: the producer's fields and the marker. */
export function replayFields(entry: ParsedDlqEntry): (Buffer | string)[] {
  return [...entry.producer, REPLAYED_FROM_DLQ, entry.id];
}
