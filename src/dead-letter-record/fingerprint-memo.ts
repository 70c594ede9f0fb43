/**
 * Fingerprints of recently seen errors. A failure storm throws the same error from the same place
 * thousands of times; its fingerprint (message parameterization, stack frame parsing, a hash) is
 * computed once and looked up after that. The key is every input of the fingerprint, so a hit is
 * exactly what a fresh computation would return.
 */
import { deadLetterFingerprint } from '../core/fingerprint.js';

/** Distinct errors remembered; the oldest is forgotten first. */
const CAPACITY = 512;

const memo = new Map<string, string>();

/** {@link deadLetterFingerprint}, memoized on its inputs. */
export function memoizedFingerprint(record: Parameters<typeof deadLetterFingerprint>[0]): string {
  const key = `${record.errorClass}\u0000${record.errorCode}\u0000${record.failureType}\u0000${record.errorMessage}\u0000${record.errorStack}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const fingerprint = deadLetterFingerprint(record);
  if (memo.size >= CAPACITY) memo.delete(memo.keys().next().value as string);
  memo.set(key, fingerprint);
  return fingerprint;
}
