/**
 * What a store may legitimately not do, and how the suite says so. A case that depends on a
 * behaviour some stores do not guarantee asks {@link skipUnlessGuaranteed}: a store whose declared
 * `capabilities` rule the behaviour out gets a visible skip naming the capability (a warning on
 * stderr and a skip note in the report), every other store runs the case. Nothing is skipped by
 * store name or by a flag in the test file.
 */
import type { TestContext } from 'vitest';
import type { StoreCapabilities } from '../store.js';

/** A behaviour of the seam that a capability may rule out. */
export interface Guarantee {
  /** What the cases check. */
  readonly behaviour: string;
  /** Why a store with `capabilities` does not guarantee it, or `null` when it does. */
  ruledOutBy(capabilities: StoreCapabilities): string | null;
}

/** Claims follow priority, due time and insertion order across the whole store. */
export const GLOBAL_CLAIM_ORDER: Guarantee = {
  behaviour: 'one claim order across the whole store',
  ruledOutBy: (c) =>
    c.sharded ? 'capabilities.sharded: claims are ordered within each shard, not across shards' : null,
};

/** Job ids, and listings across queues, follow insertion order across the whole store. */
export const STORE_WIDE_ID_ORDER: Guarantee = {
  behaviour: 'one job id order across the queues of the store',
  ruledOutBy: (c) =>
    c.queuesApart ? 'capabilities.queuesApart: ids are ordered within each queue, not across queues' : null,
};

/**
 * Skips the running test, visibly, when `capabilities` rule out `guarantee`; returns otherwise.
 * Call it first thing in the test body.
 */
export function skipUnlessGuaranteed(
  context: TestContext,
  capabilities: StoreCapabilities,
  guarantee: Guarantee,
): void {
  const reason = guarantee.ruledOutBy(capabilities);
  if (reason === null) return;
  const note = `not guaranteed by this store (${guarantee.behaviour}): ${reason}`;
  console.warn(`[conformance] skipped "${context.task.name}": ${note}`);
  context.skip(note);
}
