/**
 * Two jobs dead-lettered at once, by two transactions, with the same new dead-letter id (a
 * caller's deterministic ids, a seeded random shared by two processes). The first transaction's
 * insert is not committed when the second inserts: ON CONFLICT DO NOTHING makes the second wait for
 * the first and then skip its record, so no unique violation reaches the caller, and the entry is
 * the first job's. The second job then has no entry, and must neither answer one nor link to the
 * first job's (a link chosen from what its snapshot showed before the wait would name it).
 * Likewise, a job whose own entry another transaction is inserting (imported by hand) keeps that
 * entry once the wait ends, and the answer names it.
 *
 * The first transaction is the store's own, held just before its COMMIT (a pool whose clients wait
 * on a gate there); the second is released once the server shows it waiting on a lock.
 */
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  insertAndClaim,
  mustGet,
  newJob,
  T0,
} from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();

/** A pool whose transactions, once {@link HeldCommits.hold} is called, wait before COMMIT. */
class HeldCommits {
  readonly pool: pg.Pool;
  private gate: Promise<void> | null = null;
  private open: () => void = () => {};
  private reached: () => void = () => {};

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const config = args[0] as { text?: unknown } | undefined;
        const gate = this.gate;
        if (gate && typeof config === 'object' && config?.text === 'COMMIT') {
          this.gate = null;
          this.reached();
          return gate.then(() => query(...args));
        }
        return query(...args);
      };
    });
  }

  /** Holds the next COMMIT; resolves `committing` when a transaction reaches it. */
  hold(): { committing: Promise<void>; release: () => void } {
    const committing = new Promise<void>((resolve) => {
      this.reached = resolve;
    });
    this.gate = new Promise<void>((resolve) => {
      this.open = resolve;
    });
    return { committing, release: () => this.open() };
  }
}

describe.skipIf(!postgres.available)(
  'PostgreSQL: two jobs dead-lettered at once with the same new id',
  () => {
    const schema = new PostgresTestSchema(postgres.url, 'dlrace');
    let store: PostgresStore;
    let held: HeldCommits;
    let first: PostgresStore;
    beforeEach(async () => {
      store = await schema.freshStore({ listen: false });
      held = new HeldCommits(postgres.url);
      first = new PostgresStore({ pool: held.pool, schema: schema.schema, listen: false });
      return async () => {
        await first.close();
        await held.pool.end();
        await store.close();
      };
    });
    afterAll(() => schema.drop());

    /** Runs `second` while `firstRun`'s transaction holds its insert uncommitted, until it waits on it. */
    async function race<A, B>(firstRun: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
      const { committing, release } = held.hold();
      const a = firstRun();
      await committing;
      const b = second();
      await waitingOnLock();
      release();
      return Promise.all([a, b]);
    }

    /** Resolves once a statement on the schema waits on a lock (the other transaction's insert). */
    function waitingOnLock() {
      return waitFor('the second transaction to wait on the first', async () => {
        const { rows } = await schema.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
          [schema.schema],
        );
        return rows[0]!.n > 0;
      });
    }

    /**
     * Inserts entry `id` for job `jobId` (imported by hand) in a transaction left open, and runs
     * `second` until it waits on that insert; then commits.
     */
    async function importedDuring<T>(id: string, jobId: string, second: () => Promise<T>): Promise<T> {
      const client = await schema.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO "${schema.schema}".dead_letters (id, job_id, queue, domain, failure_type, error_message,
                  fingerprint, attempts, metadata, status, max_replays, first_failed_at, dead_lettered_at, updated_at)
           VALUES ($1, $2, 'qb', 'billing', 'permanent', 'imported', 'fp-1', '[]', '{}', 'pending', 2, $3, $3, $3)`,
          [id, jobId, T0],
        );
        const run = second();
        await waitingOnLock();
        await client.query('COMMIT');
        return await run;
      } finally {
        client.release();
      }
    }

    /** A job of `queue` that a sweep at T0 + 202 dead-letters as a poison pill (maxOrphans 1). */
    async function poisonPill(queue: string): Promise<string> {
      const [id] = await insert(store, [newJob({ queue })]);
      // Orphaned in a batch (a suspect), then claimed alone in quarantine.
      await claim(store, { queue, now: T0, leaseMs: 100 });
      await sweep(store, queue, T0 + 101);
      await claim(store, { queue, now: T0 + 101, leaseMs: 100, quarantine: true });
      return id!;
    }

    /** The job links to the imported entry, and the record refused was not stored. */
    async function expectImportedKept(jobId: string, refused: string): Promise<void> {
      expect(await mustGet(store, jobId)).toMatchObject({
        state: 'dead_lettered',
        deadLetterId: 'dl-imported',
      });
      expect((await store.getDeadLetterByJob({ jobId }))?.id).toBe('dl-imported');
      expect(await store.getDeadLetter({ id: refused })).toBeNull();
    }

    /** What a job and the entry `id` say after the race: the second job has none, the entry is the first's. */
    async function expectOneEntry(winner: string, loser: string, id: string): Promise<void> {
      expect((await mustGet(store, winner)).deadLetterId).toBe(id);
      expect(await mustGet(store, loser)).toMatchObject({ state: 'dead_lettered', deadLetterId: null });
      expect((await store.getDeadLetter({ id }))?.jobId).toBe(winner);
      expect(await store.getDeadLetterByJob({ jobId: loser })).toBeNull();
    }

    function failWith(s: Store, job: Awaited<ReturnType<typeof insertAndClaim>>, id: string) {
      return s.failJobs({
        failures: [
          {
            id: job.id,
            token: job.token,
            attempt: failedAttempt(job, T0 + 5),
            outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob(id, T0 + 5) },
          },
        ],
        now: T0 + 5,
      });
    }

    it('failJobs: the second job answers and links no entry', async () => {
      const a = await insertAndClaim(store, { job: { queue: 'qa' } });
      const b = await insertAndClaim(store, { job: { queue: 'qb' } });
      const [won, lost] = await race(
        () => failWith(first, a, 'dl-same'),
        () => failWith(store, b, 'dl-same'),
      );
      expect(won).toEqual([{ id: a.id, ok: true, deadLetterId: 'dl-same' }]);
      expect(lost).toEqual([{ id: b.id, ok: true }]);
      await expectOneEntry(a.id, b.id, 'dl-same');
    });

    it('lease recovery: the second poison pill answers and links no entry', async () => {
      const ids = [await poisonPill('qa'), await poisonPill('qb')];
      const [won, lost] = await race(
        () => sweep(first, 'qa', T0 + 202),
        () => sweep(store, 'qb', T0 + 202),
      );
      expect(won.deadLettered).toEqual([{ jobId: ids[0], deadLetterId: 'dl-same' }]);
      expect(lost.deadLettered).toEqual([{ jobId: ids[1] }]);
      await expectOneEntry(ids[0]!, ids[1]!, 'dl-same');
    });

    // The same wait when the entry being inserted is one for the failing job itself.
    it('failJobs: a job whose entry another transaction is inserting keeps that entry', async () => {
      const b = await insertAndClaim(store, { job: { queue: 'qb' } });
      const result = await importedDuring('dl-imported', b.id, () => failWith(store, b, 'dl-new'));
      expect(result).toEqual([{ id: b.id, ok: true, deadLetterId: 'dl-imported' }]);
      await expectImportedKept(b.id, 'dl-new');
    });

    it('lease recovery: a poison pill whose entry another transaction is inserting keeps that entry', async () => {
      const id = await poisonPill('qb');
      const result = await importedDuring('dl-imported', id, () => sweep(store, 'qb', T0 + 202));
      expect(result.deadLettered).toEqual([{ jobId: id, deadLetterId: 'dl-imported' }]);
      await expectImportedKept(id, 'dl-same');
    });
  },
);

/** A sweep of `queue` that dead-letters at the first orphaning in quarantine, as `dl-same`. */
function sweep(s: Store, queue: string, now: number) {
  return s.recoverExpiredLeases({
    now,
    queue,
    maxOrphans: 1,
    limit: 10,
    deadLetterFor: () => deadLetterFromJob('dl-same', now, { failureType: 'poison_pill' }),
  });
}
