/**
 * The distinct error messages of the SQLite dead-letter queue (`redrive_dead_letter_messages`,
 * migration 9): each is stored and trigram-indexed once, and entries name theirs by `message_id`.
 * Inserts look each distinct message of a batch up once (adding it when new), so a failure storm
 * of one message costs one lookup per batch instead of an index entry per trigram per dead letter.
 *
 * A new message is queued for the trigram index (migration 14) and indexed with the others queued,
 * in one statement, once the queue holds about {@link TEXT_INDEX_BATCH}: FTS5 writes a segment per
 * statement, so a message indexed on its own cost several times its share of a batch. Searches read
 * the queue too (see dead-letter-filter.ts), which therefore stays short. A connection counts the
 * queue it found at open, so short-lived processes that each queue a few messages do not leave an
 * ever longer queue behind; writers open at the same time can each add up to a batch.
 */
import type Database from 'better-sqlite3';
import type { SqliteStatement } from './statement.js';

/** Queued messages a writer lets accumulate before it indexes them (the most a search reads unindexed). */
export const TEXT_INDEX_BATCH = 2000;

/** Looks messages up (or adds them) on one connection, and indexes the queued ones. */
export class DeadLetterMessages {
  private readonly find: SqliteStatement;
  private readonly add: SqliteStatement;
  private readonly lastQueued: SqliteStatement;
  private readonly indexQueued: SqliteStatement;
  private readonly dequeue: SqliteStatement;
  /** Messages queued when this connection opened, plus those it queued, since it last indexed. */
  private queued: number;

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id FROM redrive_dead_letter_messages WHERE message = ?').pluck();
    // OR IGNORE: a statement that cannot abort part-way needs no statement journal, which would
    // copy every page the insert and its queueing trigger touch (the batch's lookup just found no
    // such message, under the write lock, so nothing is ignored).
    this.add = db.prepare('INSERT OR IGNORE INTO redrive_dead_letter_messages (message) VALUES (?)');
    this.lastQueued = db.prepare('SELECT MAX(id) FROM redrive_dead_letter_text_queue').pluck();
    this.indexQueued = db.prepare(
      // CROSS JOIN keeps the queue the outer loop: otherwise the bound moves to the messages' key
      // and every message below it is read.
      `INSERT INTO redrive_dead_letter_message_text (rowid, message)
         SELECT redrive_dead_letter_messages.id, message FROM redrive_dead_letter_text_queue
          CROSS JOIN redrive_dead_letter_messages ON redrive_dead_letter_messages.id = redrive_dead_letter_text_queue.id
          WHERE redrive_dead_letter_text_queue.id <= ?`,
    );
    this.dequeue = db.prepare('DELETE FROM redrive_dead_letter_text_queue WHERE id <= ?');
    this.queued = db.prepare('SELECT COUNT(*) FROM redrive_dead_letter_text_queue').pluck().get() as number;
  }

  /**
   * A lookup for one insert batch, inside its write transaction: each distinct message is read,
   * or added, once. Not kept across transactions (a purge may delete a message in between).
   */
  batch(): (message: string) => number {
    const ids = new Map<string, number>();
    return (message) => {
      let id = ids.get(message);
      if (id === undefined) {
        id = this.find.get(message) as number | undefined;
        if (id === undefined) {
          const added = this.add.run(message);
          if (added.changes === 1) {
            id = Number(added.lastInsertRowid);
            this.queued++;
          } else id = this.find.get(message) as number;
        }
        ids.set(message, id);
      }
      return id;
    };
  }

  /**
   * Indexes every queued message (every writer's) when this connection has counted
   * {@link TEXT_INDEX_BATCH} or `force` is set; inside the caller's write transaction. Returns how
   * many were indexed.
   */
  indexQueue(options: { force?: boolean } = {}): number {
    if (!options.force && this.queued < TEXT_INDEX_BATCH) return 0;
    this.queued = 0;
    const through = this.lastQueued.get() as number | null;
    if (through === null) return 0;
    this.indexQueued.run(through);
    return this.dequeue.run(through).changes;
  }
}
