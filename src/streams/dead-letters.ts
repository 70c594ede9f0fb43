/**
 * The DLQ stream `{stream}:dlq`: moving a message there (XADD to the DLQ and XACK in the main stream
 * in one MULTI/EXEC), listing it, and replaying entries back onto their original stream. Entries
 * are read and written as Buffers, so that their bytes are copied exactly (see `dlq-format.ts`).
 */

import { ValidationError } from '../core/errors.js';
import type { RedisClient } from '../redis/client-options.js';
import { withTimeout } from '../redis/timeout.js';
import { dlqFields, type ParsedDlqEntry, parseDlqEntry, replayFields } from './dlq-format.js';
import { type BufferEntry, type RawEntry, rawEntries, toDeadLetterEntry } from './entries.js';
import type { LazyMessage } from './held.js';
import type {
  DeadLetterEntry,
  DeadLetterFilter,
  DlqReplayOptions,
  DlqReplayResult,
  FieldValue,
} from './types.js';

/** Where the DLQ lives and who writes to it. */
export interface DlqTarget {
  stream: string;
  group: string;
  consumer: string;
  dlqStream: string;
  operationTimeoutMs: number;
  /** Field values are handed out as Buffers (`fieldValues: 'buffer'`). */
  binary: boolean;
}

/** Entries read per XRANGE page when scanning the DLQ. */
const PAGE = 200;

/**
 * Moves `message` to the DLQ and acks it in the main stream, atomically (MULTI/EXEC): a crash or a
 * lost connection leaves it either pending in the main stream or in the DLQ, never both or neither.
 * If the outcome is unknown (connection lost before EXEC's reply) the caller must not resend: the
 * message, if still pending, comes back through the reclaim path.
 *
 * @returns the DLQ entry id
 */
export async function moveToDlq(
  redis: RedisClient,
  target: DlqTarget,
  message: LazyMessage,
  meta: { reason: string; attempts: number; at: number },
): Promise<string> {
  const fields = dlqFields(message, { ...meta, group: target.group, consumer: target.consumer });
  const reply = await withTimeout(
    redis
      .multi()
      .xadd(target.dlqStream, '*', ...fields)
      .xack(target.stream, target.group, message.id)
      .exec(),
    target.operationTimeoutMs,
    'dead-letter move',
  );
  if (!reply) throw new Error('dead-letter move: EXEC aborted');
  const [xadd, xack] = reply;
  if (xadd?.[0]) throw xadd[0];
  if (xack?.[0]) throw xack[0];
  return xadd?.[1] as string;
}

/** XRANGE of the DLQ, as exact bytes. */
async function readDlq(redis: RedisClient, target: DlqTarget, start: string, end: string, count?: number) {
  const args: (string | number)[] = [target.dlqStream, start, end];
  if (count !== undefined) args.push('COUNT', count);
  const reply = await withTimeout(
    redis.callBuffer('xrange', ...args),
    target.operationTimeoutMs,
    'XRANGE dlq',
  );
  return rawEntries(reply as BufferEntry[]);
}

function parse(entry: RawEntry): ParsedDlqEntry {
  return parseDlqEntry(entry[0], entry[1]);
}

/** DLQ entries from `start` (inclusive, default the oldest), at most `count`. */
export async function listDlq<V extends FieldValue>(
  redis: RedisClient,
  target: DlqTarget,
  options: { start?: string; count?: number } = {},
): Promise<DeadLetterEntry<V>[]> {
  const count = options.count ?? 100;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new ValidationError('count', `must be an integer in 1..10000, got ${count}`);
  }
  const raw = await readDlq(redis, target, options.start ?? '-', '+', count);
  return raw.map((r) => toDeadLetterEntry<V>(parse(r), target.binary));
}

function matches<V extends FieldValue>(entry: DeadLetterEntry<V>, filter: DeadLetterFilter<V>): boolean {
  if (filter.originalIds && !filter.originalIds.includes(entry.originalId)) return false;
  if (typeof filter.reason === 'string' && !entry.failureReason.includes(filter.reason)) return false;
  if (filter.reason instanceof RegExp && !filter.reason.test(entry.failureReason)) return false;
  if (filter.since !== undefined && entry.deadLetteredAt < filter.since) return false;
  if (filter.until !== undefined && entry.deadLetteredAt >= filter.until) return false;
  return !filter.where || filter.where(entry);
}

/** The stream a DLQ entry goes back to: its original stream (this one for an entry without it). */
function destination(entry: ParsedDlqEntry, own: string): string {
  return entry.meta.originalStream || own;
}

/**
 * Finds DLQ entries by id, or by scanning with a filter (oldest first). A scan matches only the
 * entries that go back to `onlyStream` when it is given (a DLQ shared with other streams).
 */
async function select<V extends FieldValue>(
  redis: RedisClient,
  target: DlqTarget,
  what: string | string[] | DeadLetterFilter<V>,
  onlyStream: string | undefined,
): Promise<{ entries: ParsedDlqEntry[]; notFound: string[] }> {
  if (typeof what === 'string' || Array.isArray(what)) {
    const ids = typeof what === 'string' ? [what] : what;
    if (ids.length === 0) return { entries: [], notFound: [] };
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.xrangeBuffer(target.dlqStream, id, id);
    const replies = (await withTimeout(pipeline.exec(), target.operationTimeoutMs, 'XRANGE dlq')) ?? [];
    const entries: ParsedDlqEntry[] = [];
    const notFound: string[] = [];
    replies.forEach(([error, raw], i) => {
      if (error) throw error;
      const found = rawEntries(raw as BufferEntry[])[0];
      if (found) entries.push(parse(found));
      else notFound.push(ids[i] as string);
    });
    return { entries, notFound };
  }
  const limit = what.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ValidationError('limit', `must be a positive integer, got ${limit}`);
  const entries: ParsedDlqEntry[] = [];
  let start = '-';
  for (;;) {
    const raw = await readDlq(redis, target, start, '+', PAGE);
    for (const r of raw) {
      const entry = parse(r);
      if (onlyStream !== undefined && destination(entry, target.stream) !== onlyStream) continue;
      if (matches(toDeadLetterEntry<V>(entry, target.binary), what)) entries.push(entry);
      if (entries.length >= limit) return { entries, notFound: [] };
    }
    if (raw.length < PAGE) return { entries, notFound: [] };
    start = `(${(raw.at(-1) as RawEntry)[0]}`;
  }
}

/**
 * Puts DLQ entries back on their original stream, without the DLQ metadata and with
 * `replayed_from_dlq` set to the DLQ entry id. Each entry moves in one MULTI/EXEC (XADD to the
 * stream, XDEL from the DLQ), so it is never lost nor duplicated by a crash between the two.
 * Entries of another stream than `target.stream` are replayed only with `otherStreams: 'original'`.
 *
 * @throws ValidationError naming `otherStreams` or `limit`
 */
export async function replayDlq<V extends FieldValue>(
  redis: RedisClient,
  target: DlqTarget,
  what: string | string[] | DeadLetterFilter<V>,
  options: DlqReplayOptions = {},
): Promise<DlqReplayResult> {
  const otherStreams = options.otherStreams ?? 'refuse';
  if (otherStreams !== 'refuse' && otherStreams !== 'original')
    throw new ValidationError('otherStreams', `must be 'refuse' or 'original', got ${String(otherStreams)}`);
  const onlyOwn = otherStreams === 'refuse';
  const { entries, notFound } = await select(redis, target, what, onlyOwn ? target.stream : undefined);
  const replayed: DlqReplayResult['replayed'] = [];
  const refused: DlqReplayResult['refused'] = [];
  for (const entry of entries) {
    const stream = destination(entry, target.stream);
    if (onlyOwn && stream !== target.stream) {
      refused.push({ dlqId: entry.id, originalStream: stream });
      continue;
    }
    const reply = await withTimeout(
      redis
        .multi()
        .xadd(stream, '*', ...replayFields(entry))
        .xdel(target.dlqStream, entry.id)
        .exec(),
      target.operationTimeoutMs,
      'DLQ replay',
    );
    const xadd = reply?.[0];
    if (!reply || xadd?.[0]) throw xadd?.[0] ?? new Error('DLQ replay: EXEC aborted');
    replayed.push({
      dlqId: entry.id,
      newId: xadd?.[1] as string,
      originalId: entry.meta.originalId ?? '',
      stream,
    });
  }
  return { replayed, notFound, refused };
}
