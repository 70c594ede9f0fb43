/**
 * The one error a store raises when it is used after `close()`, worded the same by every store.
 */
import { ClosedError } from '../../core/errors.js';

/** The error for a call on a closed store (`SQLite`, `Redis`, `PostgreSQL`) at `location`. */
export function storeClosedError(backend: string, location: string): Error {
  return new ClosedError(`the ${backend} store at ${location} is closed`, { store: backend });
}

/**
 * Throws {@link storeClosedError} when `closed`.
 *
 * @throws the closed-store error
 */
export function assertOpen(closed: boolean, backend: string, location: string): void {
  if (closed) throw storeClosedError(backend, location);
}
