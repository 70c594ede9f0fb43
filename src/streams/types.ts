/** Public types of the StreamProcessor: messages, handlers, events, stats, health, DLQ entries. */

import type { FailureKind } from '../redis/failure.js';

/**
 * How field values reach handlers (option `fieldValues`): `'string'`, decoded as UTF-8 (invalid
 * bytes become U+FFFD), or `'buffer'`, the exact bytes. DLQ copies are exact either way.
 */
export type FieldEncoding = 'string' | 'buffer';

/** A field value: `Buffer` for the `'buffer'` encoding, `string` otherwise. */
export type FieldValue<E extends FieldEncoding = FieldEncoding> = E extends 'buffer' ? Buffer : string;

/**
 * A message read from the stream. Field names are decoded as UTF-8; values are strings, or
 * Buffers with `fieldValues: 'buffer'` (`V`).
 */
export interface StreamMessage<V extends FieldValue = string> {
  /** The stream entry id (`<ms>-<seq>`). */
  readonly id: string;
  readonly stream: string;
  /** Field → value (the last value wins when a field repeats; see `pairs`). */
  readonly fields: Readonly<Record<string, V>>;
  /** Fields and values in stream order, repeats kept. */
  readonly pairs: readonly (readonly [string, V])[];
  /** Delivery count: 1 on the first delivery, then one more per reclaim. */
  readonly attempt: number;
}

/** What a handler gets besides the message. */
export interface StreamHandlerContext {
  /**
   * Aborted when the handler times out (reason `JobTimeoutError`), when this consumer lost its claim
   * on the message (reason `ClaimLostError`), or when `stop()` gives up waiting.
   */
  readonly signal: AbortSignal;
  /** Same as `message.attempt`. */
  readonly attempt: number;
  /** This consumer's name. */
  readonly consumer: string;
}

/**
 * Processes one message. Returning (or resolving) acknowledges it; throwing leaves it pending for a
 * retry, or moves it to the DLQ after `maxRetries` retries (at once for a `PermanentError`).
 */
export type StreamHandler<V extends FieldValue = string> = (
  message: StreamMessage<V>,
  context: StreamHandlerContext,
) => void | Promise<void>;

/** Events of a StreamProcessor. */
export interface StreamProcessorEvents {
  /** A handler succeeded (the ack is batched and follows shortly). */
  processed: { id: string; attempt: number; durationMs: number };
  /** A handler failed or timed out. */
  failed: { id: string; attempt: number; error: Error; willRetry: boolean };
  /** A message went to the DLQ stream (and was acked in the main stream, atomically). */
  dead_lettered: { id: string; dlqId: string; reason: string; attempts: number };
  /** Pending messages idle longer than `claimMinIdleMs` were claimed by this consumer. */
  reclaimed: { ids: string[] };
  /** Pending messages whose entries had been trimmed from the stream: acked and counted. */
  trimmed_while_pending: { ids: string[] };
  /** Another consumer took over a message this consumer still held (its handler is aborted). */
  claim_lost: { ids: string[] };
  /** Idle consumers with nothing pending were removed from the group. */
  consumers_removed: { names: string[] };
  /** Approximate MAXLEN trimming removed entries. */
  trimmed: { stream: string; count: number };
  /**
   * A Redis call failed; the processor carries on (with a backoff when reading). `outcome` says whether it may have run (`ambiguous`), or
   * surely did not (`not_sent`, `unavailable`), or Redis refused it (`reply`); see
   * {@link FailureKind}.
   */
  error: { operation: string; error: Error; outcome: FailureKind };
}

/** Lifetime counters of a StreamProcessor. */
export interface StreamProcessorStats {
  consumer: string;
  running: boolean;
  /** Handlers running now. */
  active: number;
  /** Messages held: read or claimed, not yet finished (running, queued, or awaiting their ack). */
  held: number;
  read: number;
  processed: number;
  acked: number;
  failed: number;
  timeouts: number;
  retried: number;
  deadLettered: number;
  reclaimed: number;
  trimmedWhilePending: number;
  claimsRenewed: number;
  claimsLost: number;
  consumersRemoved: number;
  trimmedMain: number;
  trimmedDlq: number;
  replayedFromDlq: number;
  readErrors: number;
  stuckReads: number;
  errors: number;
}

/** Health of the stream and the group, from Redis (plus this consumer's local view). */
export interface StreamHealth {
  stream: string;
  group: string;
  dlqStream: string;
  /** Entries in the stream (0 when it does not exist). */
  streamLength: number;
  /** Messages delivered and not acked, in the group. */
  pending: number;
  /** Consumers in the group. */
  consumers: number;
  /** Entries in the DLQ stream. */
  dlqLength: number;
  /** The group's last delivered id (`null` without a group). */
  lastDeliveredId: string | null;
  /** The stream's last generated id. */
  lastGeneratedId: string | null;
  /** Entries not yet delivered to the group (Redis 7 `lag`; `null` when Redis cannot tell). */
  lag: number | null;
  /** The oldest pending message, if any. */
  oldestPendingId: string | null;
  /** Age of the oldest pending message: server time minus its id's timestamp, in ms. */
  oldestPendingAgeMs: number | null;
  /** How long the oldest pending message has been idle (since its last delivery), in ms. */
  oldestPendingIdleMs: number | null;
  /** Whether this processor's connections are up. */
  connected: boolean;
}

/** A DLQ entry with its metadata split from the original fields (values as `V`, like messages). */
export interface DeadLetterEntry<V extends FieldValue = string> {
  /** The entry id in the DLQ stream. */
  id: string;
  originalStream: string;
  originalId: string;
  failureReason: string;
  attempts: number;
  /** When it was dead-lettered, ms since the epoch. */
  deadLetteredAt: number;
  group: string;
  consumer: string;
  /** The DLQ entry id the message had been replayed from before failing again, if it had. */
  replayedFrom: string | null;
  /** The original message's fields and values, in order (without DLQ metadata). */
  pairs: [string, V][];
  fields: Record<string, V>;
}

/** Which DLQ entries `replayFromDlq` takes when not given ids. */
export interface DeadLetterFilter<V extends FieldValue = string> {
  /** Only entries dead-lettered from these original ids. */
  originalIds?: string[];
  /** Only entries whose failure reason contains this string or matches this pattern. */
  reason?: string | RegExp;
  /** Only entries dead-lettered at or after this time (ms). */
  since?: number;
  /** Only entries dead-lettered before this time (ms). */
  until?: number;
  /** Any other condition. */
  where?: (entry: DeadLetterEntry<V>) => boolean;
  /** At most this many (default 1000). */
  limit?: number;
}

/** How `replayFromDlq` treats entries dead-lettered from another stream (a shared DLQ). */
export interface DlqReplayOptions {
  /**
   * `'refuse'` (default): only entries whose original stream is this processor's stream are
   * replayed; a filter does not match the others, and ids of the others are listed in `refused`
   * and left in the DLQ. `'original'`: every entry goes back to its own original stream
   * (`originalStream`), whichever processor asks.
   */
  otherStreams?: 'refuse' | 'original';
}

/** What `replayFromDlq` did. */
export interface DlqReplayResult {
  /** Entries put back, each on `stream` (its original stream). */
  replayed: { dlqId: string; newId: string; originalId: string; stream: string }[];
  /** Ids asked for that are not in the DLQ stream (already replayed, trimmed, or never there). */
  notFound: string[];
  /** Ids asked for whose entries belong to another stream (left in the DLQ; see `otherStreams`). */
  refused: { dlqId: string; originalStream: string }[];
}
