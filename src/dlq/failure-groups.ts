/**
 * Failure groups for people: each group the store counts, with what identifies it — the error
 * class, the parameterized message and the application frame that threw — computed from the
 * group's sample entry (read with the group by the SQL stores; else one primary-key read per group,
 * in parallel).
 */
import { type FailureSignature, failureSignature } from '../core/fingerprint.js';
import type { FailureGroup } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';

/** A failure group with what identifies it. */
export interface DescribedFailureGroup extends FailureGroup {
  /** Class, parameterized message and first application frame of the group's failures. */
  signature: FailureSignature;
  /** The grouping algorithm version of the group's fingerprint (older ones: `redrive dlq regroup`). */
  fingerprintVersion: number | null;
}

/** Adds each group's signature, read from its sample entry. */
export async function describeFailureGroups(
  store: Store,
  groups: readonly FailureGroup[],
): Promise<DescribedFailureGroup[]> {
  // Stores that read each group's latest entry with the group save a read per group here.
  const samples = await Promise.all(
    groups.map((g) => (g.sample !== undefined ? g.sample : store.getDeadLetter({ id: g.sampleId }))),
  );
  return groups.map(({ sample: _read, ...group }, i) => {
    const sample = samples[i];
    // The sample may have been purged since the groups were counted: describe what the group says.
    const signature = failureSignature({
      errorClass: sample?.errorClass ?? group.errorClass,
      message: sample?.errorMessage ?? group.errorMessage,
      stack: sample?.errorStack ?? null,
    });
    return { ...group, signature, fingerprintVersion: sample?.fingerprintVersion ?? null };
  });
}
