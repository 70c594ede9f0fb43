/**
 * Validation of regrouping input, shared by every store so that all of them refuse the same
 * malformed changes with the same field names.
 */
import { ValidationError } from '../core/errors.js';
import type { DeadLetterRegrouping } from './dead-letter-store.js';

/** Throws a {@link ValidationError} naming the first malformed change. */
export function validateRegroupings(changes: readonly DeadLetterRegrouping[]): void {
  if (!Array.isArray(changes)) throw new ValidationError('changes', 'must be an array');
  changes.forEach((change, i) => {
    if (typeof change?.id !== 'string' || change.id === '') {
      throw new ValidationError(`changes[${i}].id`, 'must be a non-empty string');
    }
    if (typeof change.fingerprint !== 'string' || change.fingerprint === '') {
      throw new ValidationError(`changes[${i}].fingerprint`, 'must be a non-empty string');
    }
    if (!Number.isSafeInteger(change.fingerprintVersion) || change.fingerprintVersion < 1) {
      throw new ValidationError(`changes[${i}].fingerprintVersion`, 'must be a positive integer');
    }
  });
}
