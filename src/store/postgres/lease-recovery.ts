/**
 * Orphan recovery on PostgreSQL: in one transaction, lock the expired leases (`SKIP LOCKED`, so a
 * sweep never waits on a worker finishing a job), judge how each was held (prefetched, running,
 * quarantine: see `JobStore.recoverExpiredLeases`), return them to `waiting` in one statement,
 * and dead-letter the poison pills (quarantine orphan count at `maxOrphans`) in two more: one
 * moves the jobs, one inserts their dead letters and links the jobs to them. Every change is
 * fenced by the token read, and clears it, so the lost worker's late completion or failure is
 * refused as stale.
 */
import type pg from 'pg';
import type { AttemptRecord, OrphanedWhile } from '../../core/job.js';
import type { RecoverExpiredLeasesParams, RecoveryResult } from '../job-store.js';
import { HORIZON_RETENTION_MS, orphanedAttempt, orphanedWhile } from '../orphan-attribution.js';
import { relinkDeadLetters } from './job-failures.js';
import type { PostgresConnection } from './postgres-connection.js';
import type { PostgresDeadLetters } from './postgres-dead-letters.js';

type Expired = {
  id: number;
  queue: string;
  name: string;
  payload: string;
  claim_token: string;
  orphan_count: number;
  attempts_made: number;
  worker_id: string | null;
  started_at: number | null;
  replay_of: string | null;
  start_seq: number | null;
  quarantined: boolean;
  start_horizon: number | null;
};

/** A poison pill to dead-letter: its row as read, its orphaned attempt (JSON), its dead letter's record. */
type PoisonPill = { row: Expired; attempt: string; record: Record<string, unknown> };

/**
 * Moves poison pills (fenced) to dead_lettered and inserts their dead letters, as a failure's
 * (job-failures.ts): a job with an entry already keeps it, and one whose record's id is another
 * job's entry gets none. A job is linked only to the entry it keeps or, after the insert, to the
 * one inserted for it: a link chosen before, from what this transaction's snapshot shows, would
 * name another job's entry when a concurrent transaction inserts the same id first (ON CONFLICT
 * then waits for it and skips this record).
 */
async function deadLetterPoisonPills(
  conn: PostgresConnection,
  client: pg.PoolClient,
  poison: readonly PoisonPill[],
  now: number,
  result: RecoveryResult,
): Promise<void> {
  const moved = await conn.run<{ id: string; attempts: AttemptRecord[]; kept_id: string | null }>(
    'jobs',
    'orphansToDeadLetter',
    [poison.map((p) => p.row.id), poison.map((p) => p.row.claim_token), poison.map((p) => p.attempt), now],
    client,
  );
  const byId = new Map(moved.map((m) => [m.id, m]));
  const records = poison.flatMap((p) => {
    const m = byId.get(String(p.row.id));
    return m && m.kept_id === null ? [{ ...p.record, attempts: m.attempts }] : [];
  });
  const linked =
    records.length === 0
      ? []
      : await conn.run<{ id: string; dead_letter_id: string }>(
          'jobs',
          'linkPoisonPillDeadLetters',
          [JSON.stringify(records)],
          client,
        );
  const inserted = new Map<string, string | null>(linked.map((l) => [l.id, l.dead_letter_id]));
  // A record refused: its id was another job's entry, or an entry for the job was inserted by a
  // concurrent transaction after this one's snapshot (the job keeps that one).
  const refused = moved.filter((m) => m.kept_id === null && !inserted.has(m.id)).map((m) => m.id);
  if (refused.length > 0) {
    for (const [id, entry] of await relinkDeadLetters(conn, client, refused)) inserted.set(id, entry);
  }
  for (const p of poison) {
    const jobId = String(p.row.id);
    const m = byId.get(jobId);
    if (!m) continue;
    const entry = m.kept_id ?? inserted.get(jobId);
    result.deadLettered.push(entry ? { jobId, deadLetterId: entry } : { jobId });
    result.orphanedWhile[jobId] = 'quarantine';
  }
}

/** Recovers up to `limit` expired leases; see {@link RecoverExpiredLeasesParams}. */
export function recoverExpiredLeases(
  conn: PostgresConnection,
  deadLetters: PostgresDeadLetters,
  params: RecoverExpiredLeasesParams,
): Promise<RecoveryResult> {
  const { now } = params;
  // Planned generically: a sweep's first statements on a connection would otherwise be planned for
  // their values and scan every active job for the batch (see migration 0009).
  return conn.transaction(
    'recover expired leases',
    async (client) => {
      await conn.run('jobs', 'forgetHorizons', [now - HORIZON_RETENTION_MS], client);
      const rows = await conn.run<Expired>(
        'jobs',
        'expiredLeases',
        [now, params.queue ?? null, Math.max(0, Math.floor(params.limit))],
        client,
      );
      const back: { row: Expired; attempt: string; held: OrphanedWhile }[] = [];
      const poison: PoisonPill[] = [];
      for (const row of rows) {
        const id = String(row.id);
        const held = orphanedWhile({
          quarantined: row.quarantined,
          startSeq: row.start_seq,
          startHorizon: row.start_horizon,
        });
        const attempt = orphanedAttempt(
          { attemptsMade: row.attempts_made, startedAt: row.started_at, workerId: row.worker_id },
          held,
          now,
        );
        const orphanCount = row.orphan_count + 1;
        if (held === 'quarantine' && orphanCount >= params.maxOrphans) {
          const dl = params.deadLetterFor({ id, queue: row.queue, name: row.name, orphanCount });
          const record = deadLetters.recordFromJob(dl, {
            jobId: id,
            queue: row.queue,
            jobName: row.name,
            payloadJson: row.payload,
            replayOf: row.replay_of,
            now,
          });
          poison.push({ row, attempt: JSON.stringify(attempt), record });
        } else {
          back.push({ row, attempt: JSON.stringify(attempt), held });
        }
      }
      const result: RecoveryResult = { recovered: [], deadLettered: [], orphanedWhile: {} };
      if (back.length > 0) {
        const recovered = await conn.run<{ id: string }>(
          'jobs',
          'orphansToWaiting',
          [
            back.map((b) => b.row.id),
            back.map((b) => b.row.claim_token),
            back.map((b) => b.attempt),
            back.map((b) => (b.held === 'quarantine' ? 1 : 0)),
            back.map((b) => b.held !== 'prefetched'),
          ],
          client,
        );
        const done = new Set(recovered.map((r) => r.id));
        for (const b of back) {
          const id = String(b.row.id);
          if (!done.has(id)) continue;
          result.recovered.push(id);
          result.orphanedWhile[id] = b.held;
        }
      }
      if (poison.length > 0) await deadLetterPoisonPills(conn, client, poison, now, result);
      return result;
    },
    { genericPlans: true },
  );
}
