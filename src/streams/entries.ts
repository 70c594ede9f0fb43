/** Stream entries: raw replies, messages built from them, and the public view of DLQ entries. */

import type { ParsedDlqEntry } from './dlq-format.js';
import { LazyMessage } from './held.js';
import type { DeadLetterEntry, FieldValue } from './types.js';

/**
 * A raw stream entry: its id, and its fields flat (`name, value, ...`) as the exact bytes Redis
 * holds (`null` when the entry was deleted).
 */
export type RawEntry = [id: string, fields: Buffer[] | null];

/** An entry as a Buffer reply (`callBuffer`, `xrangeBuffer` ...) gives it. */
export type BufferEntry = [id: Buffer | string, fields: Buffer[] | null];

/** Turns Buffer-reply entries into {@link RawEntry}s, in place (ids are ASCII). */
export function rawEntries(entries: BufferEntry[]): RawEntry[] {
  for (const entry of entries) if (typeof entry[0] !== 'string') entry[0] = entry[0].toString('latin1');
  return entries as RawEntry[];
}

/** Builds a message from a raw entry (fields decoded on first access; Buffers when `binary`). */
export function toMessage(stream: string, entry: RawEntry, attempt: number, binary: boolean): LazyMessage {
  return new LazyMessage(entry[0], stream, entry[1], attempt, binary);
}

/** The public view of a parsed DLQ entry; field values as Buffers when `binary`. */
export function toDeadLetterEntry<V extends FieldValue>(
  parsed: ParsedDlqEntry,
  binary: boolean,
): DeadLetterEntry<V> {
  const { meta, producer } = parsed;
  const pairs: [string, V][] = [];
  const fields: Record<string, V> = {};
  for (let i = 0; i + 1 < producer.length; i += 2) {
    const name = (producer[i] as Buffer).toString();
    const raw = producer[i + 1] as Buffer;
    const value = (binary ? raw : raw.toString()) as V;
    pairs.push([name, value]);
    fields[name] = value;
  }
  return {
    id: parsed.id,
    originalStream: meta.originalStream ?? '',
    originalId: meta.originalId ?? '',
    failureReason: meta.failureReason ?? '',
    attempts: Number(meta.attempts ?? 0),
    deadLetteredAt: Number(meta.timestamp ?? 0),
    group: meta.group ?? '',
    consumer: meta.consumer ?? '',
    replayedFrom: meta.replayedFrom ?? null,
    pairs,
    fields,
  };
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
