/**
 * A queue-slot store writes a failing job's dead letter into its slot's outbox and moves it to the
 * store's dead-letter keys right after (dead-letter-outbox.ts). An entry stored there for the job
 * before it failed (imported, recorded by hand) stays the job's one dead letter, as on one slot:
 * the move leaves it and drops the outbox record. So that the answer and the job name the entry
 * that is kept (not an id that will never exist), the batch's dead letters are checked against
 * the store's job links once moved. A job left with no link had its record refused because the id
 * was another job's entry: it has no entry, and neither the answer nor the job names one.
 */
import type { FailJobResult } from '../job-store.js';
import type { RedisKeys } from './keys.js';
import { globalJobId } from './queue-slots.js';
import type { RedisConnection } from './redis-connection.js';

/** What {@link keepEarlierEntries} needs of its store. */
export interface KeptEntryDeps {
  conn: RedisConnection;
  /** The store's own keys (its dead letters and their job links). */
  keys: RedisKeys;
  /** The keys of the slot the failures ran in. */
  slotKeys: RedisKeys;
}

/**
 * Rewrites the results (by index; `localIds[i]` is the slot's id of result i's job) whose job is
 * linked to another entry than the one answered (the answer names it, and so does the job) or to
 * none (neither does).
 */
export async function keepEarlierEntries<R extends FailJobResult>(
  slot: number,
  localIds: readonly string[],
  results: readonly R[],
  deps: KeptEntryDeps,
): Promise<R[]> {
  const created: number[] = [];
  results.forEach((r, i) => {
    if (r.ok && r.deadLetterId !== undefined) created.push(i);
  });
  if (created.length === 0) return [...results];
  const { conn, keys, slotKeys } = deps;
  const { client } = conn;
  const call = <T>(what: string, fn: () => Promise<T>) => conn.call(what, fn);
  const links = await call('moveDeadLetters', () =>
    client.hmget(keys.deadLetterJobs, ...created.map((i) => globalJobId(slot, localIds[i]!))),
  );
  const out = [...results];
  const relinks: Promise<unknown>[] = [];
  created.forEach((i, k) => {
    const kept = links[k];
    if (kept === results[i]!.deadLetterId) return;
    const jobKey = slotKeys.job(localIds[i]!);
    if (!kept) {
      const { deadLetterId: _refused, ...none } = results[i]!;
      out[i] = none as R;
      // HDEL, unlike HSET, never recreates a job removed meanwhile as a hash of one field.
      relinks.push(call('moveDeadLetters', () => client.hdel(jobKey, 'dl')));
      return;
    }
    out[i] = { ...results[i]!, deadLetterId: kept };
    relinks.push(call('moveDeadLetters', () => client.hset(jobKey, 'dl', kept)));
  });
  await Promise.all(relinks);
  return out;
}
