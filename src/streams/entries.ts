/** Stream entries: parsing replies into messages, and the DLQ metadata fields. */

import { LazyMessage } from './held.js';
import type { DeadLetterEntry, StreamMessage } from './types.js';

/** A raw stream entry as ioredis returns it: `[id, [field, value, ...]]` (fields `null` when deleted). */
export type RawEntry = [id: string, fields: string[] | null];

/** Metadata fields added to a DLQ entry (and removed again on replay). */
export const DLQ_FIELDS = Object.freeze({
  originalStream: 'dlq_original_stream',
  originalId: 'dlq_original_id',
  failureReason: 'dlq_failure_reason',
  attempts: 'dlq_attempts',
  timestamp: 'dlq_timestamp',
  group: 'dlq_group',
  consumer: 'dlq_consumer',
});

/** The field a replayed message carries: the DLQ entry id it came from. */
export const REPLAYED_FROM_DLQ = 'replayed_from_dlq';

const DLQ_FIELD_NAMES = new Set<string>(Object.values(DLQ_FIELDS));

/** Builds a message from a raw entry (fields parsed on first access). */
export function toMessage(stream: string, entry: RawEntry, attempt: number): StreamMessage {
  return new LazyMessage(entry[0], stream, entry[1], attempt);
}

/** The flat field list of a DLQ entry: the original fields, then the metadata. */
export function dlqFields(
  message: StreamMessage,
  meta: { reason: string; attempts: number; at: number; group: string; consumer: string },
): string[] {
  const out: string[] = [];
  for (const [k, v] of message.pairs) {
    if (!DLQ_FIELD_NAMES.has(k)) out.push(k, v);
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
  return out;
}

/** Splits a raw DLQ entry into its metadata and the original fields. */
export function toDeadLetterEntry(entry: RawEntry): DeadLetterEntry {
  const [id, flat] = entry;
  const meta: Record<string, string> = {};
  const pairs: [string, string][] = [];
  const fields: Record<string, string> = {};
  for (let i = 0; flat && i + 1 < flat.length; i += 2) {
    const k = flat[i] as string;
    const v = flat[i + 1] as string;
    if (DLQ_FIELD_NAMES.has(k)) meta[k] = v;
    else {
      pairs.push([k, v]);
      fields[k] = v;
    }
  }
  return {
    id,
    originalStream: meta[DLQ_FIELDS.originalStream] ?? '',
    originalId: meta[DLQ_FIELDS.originalId] ?? '',
    failureReason: meta[DLQ_FIELDS.failureReason] ?? '',
    attempts: Number(meta[DLQ_FIELDS.attempts] ?? 0),
    deadLetteredAt: Number(meta[DLQ_FIELDS.timestamp] ?? 0),
    group: meta[DLQ_FIELDS.group] ?? '',
    consumer: meta[DLQ_FIELDS.consumer] ?? '',
    pairs,
    fields,
  };
}

/** The flat field list to put a DLQ entry back on its stream: no metadata, plus `replayed_from_dlq`. */
export function replayFields(entry: DeadLetterEntry): string[] {
  const out: string[] = [];
  for (const [k, v] of entry.pairs) if (k !== REPLAYED_FROM_DLQ) out.push(k, v);
  out.push(REPLAYED_FROM_DLQ, entry.id);
  return out;
}

/** The millisecond part of a stream id. */
export function idTime(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/** A short description of an error for the DLQ's failure reason (name and message, bounded). */
export function failureReason(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  const head = typeof code === 'string' && code.length > 0 ? `${e.name} [${code}]` : e.name;
  const text = `${head}: ${e.message}`;
  return text.length > 2000 ? `${text.slice(0, 1997)}...` : text;
}
