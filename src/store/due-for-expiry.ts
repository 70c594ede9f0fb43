/**
 * The `dueForExpiry` fields of dead-letter stats from a count that stopped one past the cap
 * ({@link DUE_FOR_EXPIRY_COUNT_CAP}): the exact number below it, else the cap and `AtLeast`.
 */
import { DUE_FOR_EXPIRY_COUNT_CAP } from './dead-letter-store.js';

/** Stats fields of a due-for-expiry count limited to `DUE_FOR_EXPIRY_COUNT_CAP + 1` rows. */
export function dueForExpiry(counted: number): { dueForExpiry: number; dueForExpiryAtLeast?: true } {
  return counted > DUE_FOR_EXPIRY_COUNT_CAP
    ? { dueForExpiry: DUE_FOR_EXPIRY_COUNT_CAP, dueForExpiryAtLeast: true }
    : { dueForExpiry: counted };
}
