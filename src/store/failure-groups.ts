/**
 * What identifies a failure group to a person: the error class, the message with its variable
 * parts masked, and the first in-app stack frame (core/fingerprint.ts's signature). Stores record
 * it once per fingerprint, when the group's first entry arrives, so that top failures read it
 * without touching the entries.
 */
import { failureSignature } from '../core/fingerprint.js';
import type { DeadLetterFilter } from './dead-letter-store.js';

/** The identity of a failure group. */
export interface FailureIdentity {
  errorClass: string | null;
  /** The message with ids, numbers and quoted values masked. */
  normalizedMessage: string;
  /** `function (file)` of the first frame in the application's own code, or null when none. */
  frame: string | null;
}

/** The identity of the group an entry belongs to. */
export function failureIdentity(entry: {
  errorClass?: string | null;
  errorMessage: string;
  errorStack?: string | null;
}): FailureIdentity {
  const signature = failureSignature({
    errorClass: entry.errorClass ?? null,
    message: entry.errorMessage,
    stack: entry.errorStack ?? null,
  });
  return {
    errorClass: entry.errorClass ?? null,
    normalizedMessage: signature.message,
    frame: signature.frame,
  };
}

/** The filter fields the per-fingerprint counters answer (the columns of a counter cell). */
const COUNTER_FIELDS = new Set([
  'statuses',
  'domain',
  'domains',
  'excludeDomains',
  'queue',
  'failureType',
  'fingerprint',
]);

/** Whether the per-fingerprint counters answer a filter exactly (no other condition is set). */
export function countableFromGroups(filter: DeadLetterFilter): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || COUNTER_FIELDS.has(key)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (key === 'belowReplayCap' && value === false) continue;
    if (key === 'errorText' && value === '') continue;
    return false;
  }
  return true;
}

/** Domains of a group, largest first, ties by name (so the same data always shows the same). */
export function domainSpans(counts: Iterable<[string, number]>): { domain: string; count: number }[] {
  return [...counts]
    .filter(([, count]) => count > 0)
    .map(([domain, count]) => ({ domain, count }))
    .sort((a, b) => b.count - a.count || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}
