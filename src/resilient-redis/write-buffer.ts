/**
 * The bounded FIFO of writes accepted while Redis was unreachable. Pure bookkeeping: no I/O and
 * no timers. Bounded by entry count and by bytes; a write that does not fit is refused with
 * {@link WriteBufferFullError} (the buffer never grows past its bounds, and never drops an entry
 * it accepted to make room).
 */

import { type Clock, systemClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { commandBytes, type RedisCommand } from './command-classes.js';
import { WriteBufferFullError } from './errors.js';

/**
 * What an entry holds: one command, a MULTI/EXEC block (flushed as one unit), or a change of the
 * selected database (flushed in order with the writes around it).
 */
export type BufferedEntryKind = 'command' | 'transaction' | 'select';

/** One buffered write. */
export interface BufferedEntry {
  /** Increasing per buffer: FIFO order is id order. */
  readonly id: number;
  readonly kind: BufferedEntryKind;
  readonly commands: readonly RedisCommand[];
  /**
   * The entry contains a non-idempotent write: it is sent at most once. If its flush is ambiguous
   * (sent, no reply) it is removed and reported instead of being resent.
   */
  readonly atMostOnce: boolean;
  /** Approximate wire size, counted against `maxBytes`. */
  readonly bytes: number;
  /** Clock time it was buffered. */
  readonly bufferedAt: number;
  /** Sends by the flush so far. */
  attempts: number;
}

/** Options of a {@link WriteBuffer}. */
export interface WriteBufferOptions {
  /** Most entries held. Default 10 000. */
  maxEntries?: number;
  /** Most bytes held (approximate wire size). Default 16 MiB. */
  maxBytes?: number;
  clock?: Clock;
}

/** Default bounds. */
export const WRITE_BUFFER_DEFAULTS = Object.freeze({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });

/** A snapshot of a {@link WriteBuffer}. */
export interface WriteBufferStats {
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  /** Age of the oldest entry in ms; 0 when empty. */
  oldestAgeMs: number;
}

function positiveInt(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValidationError(field, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Describes an entry's commands for events and errors: `SET`, `MULTI(SET,INCR)`, `SELECT 3`. */
export function describeCommands(kind: BufferedEntryKind, commands: readonly RedisCommand[]): string {
  if (kind === 'select') return `SELECT ${String(commands[0]?.[1])}`;
  const names = commands.map((c) => c[0].toUpperCase());
  return kind === 'transaction' ? `MULTI(${names.join(',')})` : (names[0] ?? '');
}

/** A bounded FIFO of buffered writes. */
export class WriteBuffer {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly clock: Clock;
  private items: BufferedEntry[] = [];
  private head = 0;
  private totalBytes = 0;
  private nextId = 1;

  /** @throws ValidationError naming `maxEntries` or `maxBytes` */
  constructor(options: WriteBufferOptions = {}) {
    this.maxEntries = positiveInt('maxEntries', options.maxEntries ?? WRITE_BUFFER_DEFAULTS.maxEntries);
    this.maxBytes = positiveInt('maxBytes', options.maxBytes ?? WRITE_BUFFER_DEFAULTS.maxBytes);
    this.clock = options.clock ?? systemClock;
  }

  /** Entries held. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Appends an entry at the tail.
   *
   * @throws WriteBufferFullError when it would exceed `maxEntries` or `maxBytes` (nothing changes)
   * @throws ValidationError when `commands` is empty
   */
  push(kind: BufferedEntryKind, commands: readonly RedisCommand[], atMostOnce: boolean): BufferedEntry {
    if (commands.length === 0) throw new ValidationError('commands', 'must not be empty');
    let bytes = 0;
    for (const c of commands) bytes += commandBytes(c);
    const sizes = {
      entries: this.size,
      bytes: this.totalBytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
      entryBytes: bytes,
    };
    if (this.size >= this.maxEntries) throw new WriteBufferFullError('entries', sizes);
    if (this.totalBytes + bytes > this.maxBytes) throw new WriteBufferFullError('bytes', sizes);
    const entry: BufferedEntry = {
      id: this.nextId++,
      kind,
      commands: commands.map((c) => [...c] as unknown as RedisCommand),
      atMostOnce,
      bytes,
      bufferedAt: this.clock.now(),
      attempts: 0,
    };
    this.items.push(entry);
    this.totalBytes += bytes;
    return entry;
  }

  /** The oldest entry, left in place. */
  peek(): BufferedEntry | undefined {
    return this.items[this.head];
  }

  /**
   * Removes the oldest entry. Pass its id to guard against removing a different one.
   *
   * @returns the removed entry, or `undefined` when empty or when `expectedId` is not the head
   */
  shift(expectedId?: number): BufferedEntry | undefined {
    const entry = this.items[this.head];
    if (!entry || (expectedId !== undefined && entry.id !== expectedId)) return undefined;
    this.items[this.head] = undefined as unknown as BufferedEntry;
    this.head++;
    this.totalBytes -= entry.bytes;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** The entries in FIFO order (a copy). */
  entries(): BufferedEntry[] {
    return this.items.slice(this.head);
  }

  /** Removes and returns every entry, in FIFO order. */
  takeAll(): BufferedEntry[] {
    const all = this.entries();
    this.items = [];
    this.head = 0;
    this.totalBytes = 0;
    return all;
  }

  /** A snapshot. */
  stats(): WriteBufferStats {
    const oldest = this.peek();
    return {
      entries: this.size,
      bytes: this.totalBytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
      oldestAgeMs: oldest ? Math.max(0, this.clock.now() - oldest.bufferedAt) : 0,
    };
  }
}
