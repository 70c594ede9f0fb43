/**
 * A sharded store writes a failing job's dead letter on the job's shard and moves it to the
 * dead-letter file later. An entry stored in the file for the job before it failed (imported,
 * recorded by hand) stays the job's one dead letter, as on a single file: the move would drop the
 * shard's record. So that the answer and the job name the entry that is kept (not an id that will
 * never exist), the dead letters a batch of failures created are checked against the file at once.
 * A record whose id is already another job's entry in the file would be dropped by the move too:
 * that job then has no entry, and neither the answer nor the job names one.
 */
import type { FailJobResult, RecoveryResult } from '../job-store.js';
import type { SqliteStore } from './sqlite-store.js';

/**
 * Rewrites `results` (global ids) whose job has an earlier entry in `file` (the answer names that
 * entry, the job links to it) or whose record's id is another job's entry there (neither names
 * one); the shard's record that would be dropped is deleted.
 */
export async function keepEarlierEntries(
  results: FailJobResult[],
  file: SqliteStore,
  shards: readonly SqliteStore[],
  locate: (globalId: string) => { shard: number; localId: string } | null,
): Promise<FailJobResult[]> {
  const created = results.filter((r) => r.ok && r.deadLetterId !== undefined);
  if (created.length === 0) return results;
  const kept = await file.deadLetterIdsOfJobs(created.map((r) => r.id));
  const owners = await file.jobsOfDeadLetters(
    created.filter((r) => !kept.has(r.id)).map((r) => r.deadLetterId as string),
  );
  if (kept.size === 0 && owners.size === 0) return results;
  const byShard = new Map<SqliteStore, { jobId: string; keptId: string | null; replacedId: string }[]>();
  const out = results.map((result): FailJobResult => {
    if (!result.ok || result.deadLetterId === undefined) return result;
    const taken = owners.has(result.deadLetterId) && owners.get(result.deadLetterId) !== result.id;
    const keptId = kept.get(result.id) ?? (taken ? null : undefined);
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
  locate: (globalId: string) => { shard: number; localId: string } | null,
): Promise<void> {
  const results = sweep.deadLettered.map((d): FailJobResult => ({ ...d, id: d.jobId, ok: true }));
  const checked = await keepEarlierEntries(results, file, shards, locate);
  sweep.deadLettered = checked.map((r) =>
    r.deadLetterId === undefined ? { jobId: r.id } : { jobId: r.id, deadLetterId: r.deadLetterId },
  );
}
