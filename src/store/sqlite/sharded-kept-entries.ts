/**
 * A sharded store writes a failing job's dead letter on the job's shard and moves it to the
 * dead-letter file later. An entry stored in the file for the job before it failed (imported,
 * recorded by hand) stays the job's one dead letter, as on a single file: the move would drop the
 * shard's record. So that the answer and the job name the entry that is kept (not an id that will
 * never exist), the dead letters a batch of failures created are checked against the file at once.
 * A record whose id is already another job's entry in the file would be dropped by the move too,
 * and so would one whose id another shard's record carries, not moved yet (a failure there wrote
 * it, or an earlier one of this batch): the move keeps one record of an id. That job then has no
 * entry, and neither the answer nor the job names one; the first record written keeps the id.
 */
import type { FailJobResult, RecoveryResult } from '../job-store.js';
import type { SqliteStore } from './sqlite-store.js';

/** Where a global job id lives. */
type Locate = (globalId: string) => { shard: number; localId: string } | null;

/**
 * The dead-letter ids of `created` that records on the shards carry, each with the jobs (shard and
 * local id, `shard:localId`) whose records carry it: the records other failures wrote and that are
 * not moved yet. One indexed read per shard, skipped for a shard whose ids are all the batch's own
 * there (a shard refuses a second record of one id itself); read before the file, so that a record
 * moved meanwhile (inserted in the file before it is deleted from its shard) is seen in one place
 * or the other.
 */
async function holdersOnShards(
  created: readonly FailJobResult[],
  shards: readonly SqliteStore[],
  locate: Locate,
): Promise<Map<string, string[]>> {
  const holders = new Map<string, string[]>();
  for (let shard = 0; shard < shards.length; shard++) {
    const ids = created.filter((r) => locate(r.id)?.shard !== shard).map((r) => r.deadLetterId as string);
    for (const [id, job] of await shards[shard]!.jobsOfDeadLetters(ids)) {
      const list = holders.get(id) ?? [];
      list.push(`${shard}:${job ?? ''}`);
      holders.set(id, list);
    }
  }
  return holders;
}

/**
 * The results (of `created`, in input order) whose record's id another job's entry or record takes:
 * an entry in the file, an earlier failure of the batch that keeps that id, or a record on a shard
 * not written by this batch. A later failure of the batch does not take the id from an earlier one,
 * as on a single file where the first insert wins.
 */
function takenIds(
  created: readonly FailJobResult[],
  kept: ReadonlyMap<string, string>,
  owners: ReadonlyMap<string, string | null>,
  holders: ReadonlyMap<string, string[]>,
  locate: Locate,
): Set<FailJobResult> {
  const where = (r: FailJobResult) => {
    const at = locate(r.id);
    return at ? `${at.shard}:${at.localId}` : r.id;
  };
  const ofBatch = new Set(created.map(where));
  const keptInBatch = new Set<string>();
  const taken = new Set<FailJobResult>();
  for (const result of created) {
    if (kept.has(result.id)) continue;
    const id = result.deadLetterId as string;
    const self = where(result);
    const owner = owners.get(id);
    const held = (holders.get(id) ?? []).some((job) => job !== self && !ofBatch.has(job));
    if ((owner !== undefined && owner !== result.id) || keptInBatch.has(id) || held) taken.add(result);
    else keptInBatch.add(id);
  }
  return taken;
}

/**
 * Rewrites `results` (global ids) whose job has an earlier entry in `file` (the answer names that
 * entry, the job links to it) or whose record's id is another job's entry there or another job's
 * record on a shard (neither names one); the shard's record that would be dropped is deleted.
 */
export async function keepEarlierEntries(
  results: FailJobResult[],
  file: SqliteStore,
  shards: readonly SqliteStore[],
  locate: Locate,
): Promise<FailJobResult[]> {
  const created = results.filter((r) => r.ok && r.deadLetterId !== undefined);
  if (created.length === 0) return results;
  const holders = await holdersOnShards(created, shards, locate);
  const kept = await file.deadLetterIdsOfJobs(created.map((r) => r.id));
  const owners = await file.jobsOfDeadLetters(
    created.filter((r) => !kept.has(r.id)).map((r) => r.deadLetterId as string),
  );
  const taken = takenIds(created, kept, owners, holders, locate);
  if (kept.size === 0 && taken.size === 0) return results;
  const byShard = new Map<SqliteStore, { jobId: string; keptId: string | null; replacedId: string }[]>();
  const out = results.map((result): FailJobResult => {
    if (!result.ok || result.deadLetterId === undefined) return result;
    const keptId = kept.get(result.id) ?? (taken.has(result) ? null : undefined);
    if (keptId === undefined || keptId === result.deadLetterId) return result;
    const where = locate(result.id);
    const shard = where && shards[where.shard];
    if (where && shard) {
      const links = byShard.get(shard) ?? [];
      links.push({ jobId: where.localId, keptId, replacedId: result.deadLetterId });
      byShard.set(shard, links);
    }
    if (keptId === null) {
      const { deadLetterId: _refused, ...none } = result;
      return none;
    }
    return { ...result, deadLetterId: keptId };
  });
  for (const [shard, links] of byShard) await shard.relinkDeadLetters(links);
  return out;
}

/**
 * {@link keepEarlierEntries} for the poison pills of a recovery sweep (global ids), whose dead
 * letters follow a failure's rule: rewrites `sweep.deadLettered` to name the entry each job keeps,
 * or none.
 */
export async function keepEarlierPoisonPillEntries(
  sweep: RecoveryResult,
  file: SqliteStore,
  shards: readonly SqliteStore[],
  locate: Locate,
): Promise<void> {
  const results = sweep.deadLettered.map((d): FailJobResult => ({ ...d, id: d.jobId, ok: true }));
  const checked = await keepEarlierEntries(results, file, shards, locate);
  sweep.deadLettered = checked.map((r) =>
    r.deadLetterId === undefined ? { jobId: r.id } : { jobId: r.id, deadLetterId: r.deadLetterId },
  );
}
