/**
 * Fingerprints of recently seen errors. A failure storm throws the same error from the same place
 * thousands of times; its fingerprint (message parameterization, stack frame parsing, a hash) is
 * computed once and looked up after that. The key is every input of the fingerprint, so a hit is
 * exactly what a fresh computation would return. Each worker holds its own memo (no state shared
 * between workers or stores of a process).
 */
import { deadLetterFingerprint } from '../core/fingerprint.js';

/** The inputs of a dead letter's fingerprint. */
export type FingerprintInput = Parameters<typeof deadLetterFingerprint>[0];

/** {@link deadLetterFingerprint}, memoized on its inputs for the last `capacity` distinct errors. */
export class FingerprintMemo {
  private readonly memo = new Map<string, string>();

  /** @param capacity distinct errors remembered; the oldest is forgotten first */
  constructor(private readonly capacity = 512) {}

  /** The fingerprint of `record`, computed only when these inputs were not seen recently. */
  fingerprint(record: FingerprintInput): string {
    const key = `${record.errorClass}\u0000${record.errorCode}\u0000${record.failureType}\u0000${record.errorMessage}\u0000${record.errorStack}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const fingerprint = deadLetterFingerprint(record);
    if (this.memo.size >= this.capacity) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(key, fingerprint);
    return fingerprint;
  }

  /** Distinct errors remembered now. */
  get size(): number {
    return this.memo.size;
  }
}
