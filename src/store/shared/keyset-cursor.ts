/**
 * The opaque keyset cursor of dead-letter pages, one codec for every store: the last entry's
 * dead-letter time, the store's tiebreak for equal times (a row sequence number on SQLite and
 * PostgreSQL, an index member on Redis) and the order, as base64url JSON `[at, tiebreak, 'n'|'o']`.
 */
import { ValidationError } from '../../core/errors.js';

/** A keyset position. */
export interface KeysetCursor<T extends number | string> {
  /** The last entry's dead-letter time. */
  at: number;
  /** What orders entries of the same time. */
  tiebreak: T;
  order: 'newest' | 'oldest';
}

/** Encodes a keyset position as an opaque string. */
export function encodeCursor<T extends number | string>(cursor: KeysetCursor<T>): string {
  return Buffer.from(
    JSON.stringify([cursor.at, cursor.tiebreak, cursor.order === 'newest' ? 'n' : 'o']),
  ).toString('base64url');
}

/** A row sequence number (SQLite rowid, PostgreSQL seq). */
export const isSequence = (value: unknown): value is number => Number.isSafeInteger(value);

/**
 * Decodes a cursor of {@link encodeCursor} whose tiebreak passes `isTiebreak`.
 *
 * @throws ValidationError naming `cursor` when it is not one this store produced
 */
export function decodeCursor<T extends number | string>(
  text: string,
  isTiebreak: (value: unknown) => value is T,
): KeysetCursor<T> {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      Number.isSafeInteger(value[0]) &&
      isTiebreak(value[1]) &&
      (value[2] === 'n' || value[2] === 'o')
    ) {
      return { at: value[0], tiebreak: value[1], order: value[2] === 'n' ? 'newest' : 'oldest' };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor', 'is not a cursor returned by a previous page');
}
