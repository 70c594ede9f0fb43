/**
 * How a queue-slot store splits a call naming jobs of several queues (completions, failures,
 * heartbeats): one call per slot, run together, with each result put back in its item's place.
 */
import type { FenceResult } from '../job-store.js';
import { globalJobId, locateJobId } from './queue-slots.js';

/** Items grouped by the slot of their job id, with their places in the input. */
interface SlotGroup<T> {
  indexes: number[];
  local: T[];
}

/** Groups items by the slot of their job id; unknown ids answer `not_found` without a call. */
export async function bySlot<T extends { id: string }, R extends FenceResult>(
  items: readonly T[],
  run: (slot: number, local: T[]) => Promise<R[]>,
): Promise<(R | FenceResult)[]> {
  const groups = new Map<number, SlotGroup<T>>();
  const results: (R | FenceResult)[] = new Array(items.length);
  items.forEach((item, index) => {
    const where = locateJobId(item.id);
    if (!where) {
      results[index] = { id: item.id, ok: false, reason: 'not_found' };
      return;
    }
    let group = groups.get(where.slot);
    if (!group) {
      group = { indexes: [], local: [] };
      groups.set(where.slot, group);
    }
    group.indexes.push(index);
    group.local.push({ ...item, id: where.localId });
  });
  await Promise.all(
    [...groups].map(async ([slot, group]) => {
      const out = await run(slot, group.local);
      out.forEach((result, i) => {
        results[group.indexes[i]!] = { ...result, id: globalJobId(slot, result.id) };
      });
    }),
  );
  return results;
}
