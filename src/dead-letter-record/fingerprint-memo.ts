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

/** Errors remembered per stack text at most. */
const MAX_PER_STACK = 16;

interface Entry {
  errorClass: string | null;
  errorCode: string | null;
  failureType: string;
  errorMessage: string;
  fingerprint: string;
}

/** {@link deadLetterFingerprint}, memoized on its inputs for the last `capacity` distinct errors. */
export class FingerprintMemo {
  /**
   * By stack text, then the other inputs. The stack is the long part of the key: looked up as it
   * is (its hash is computed once per string and kept with it), never copied into a longer key.
   */
  private readonly memo = new Map<string | null, Entry[]>();
  private size_ = 0;
  /**
   * The stack looked up last and its entries: a storm's failures come in runs of one stack, and
   * comparing a stack with the last one costs less than hashing a new string of a kilobyte or
   * more (each error's stack is a string of its own) for the map.
   */
  private lastStack: string | null | undefined;
  private lastEntries: Entry[] | undefined;

  /** @param capacity distinct errors remembered; the oldest stack's are forgotten first */
  constructor(private readonly capacity = 512) {}

  /** The fingerprint of `record`, computed only when these inputs were not seen recently. */
  fingerprint(record: FingerprintInput): string {
    const entries =
      this.lastEntries !== undefined && record.errorStack === this.lastStack
        ? this.lastEntries
        : this.memo.get(record.errorStack);
    if (entries !== undefined) {
      this.lastStack = record.errorStack;
      this.lastEntries = entries;
      for (const entry of entries) {
        if (
          entry.errorMessage === record.errorMessage &&
          entry.errorClass === record.errorClass &&
          entry.errorCode === record.errorCode &&
          entry.failureType === record.failureType
        ) {
          return entry.fingerprint;
        }
      }
    }
    const fingerprint = deadLetterFingerprint(record);
    while (this.size_ >= this.capacity && this.memo.size > 0) {
      const [oldest, forgotten] = this.memo.entries().next().value as [string | null, Entry[]];
      this.memo.delete(oldest);
      this.size_ -= forgotten.length;
      if (forgotten === this.lastEntries) this.lastEntries = undefined;
    }
    const entry: Entry = {
      errorClass: record.errorClass,
      errorCode: record.errorCode,
      failureType: record.failureType,
      errorMessage: record.errorMessage,
      fingerprint,
    };
    const kept = this.memo.get(record.errorStack);
    if (kept === undefined) this.memo.set(record.errorStack, [entry]);
    else {
      // One stack thrown with ever new messages, codes or types is searched only this far.
      if (kept.length >= MAX_PER_STACK) {
        kept.shift();
        this.size_--;
      }
      kept.push(entry);
    }
    this.size_++;
    return fingerprint;
  }

  /** Distinct errors remembered now. */
  get size(): number {
    return this.size_;
  }
}
