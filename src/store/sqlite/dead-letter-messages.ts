/**
 * The distinct error messages of the SQLite dead-letter queue (`redrive_dead_letter_messages`,
 * migration 9): each is stored and trigram-indexed once, and entries name theirs by `message_id`.
 * Inserts look each distinct message of a batch up once (adding it when new), so a failure storm
 * of one message costs one lookup per batch instead of an index entry per trigram per dead letter.
 *
 * New messages are indexed behind the writes (migration 21): the index covers the messages up to a
 * marker, and a writer indexes those above it, in one statement, once there are about
 * {@link TEXT_INDEX_BATCH}: FTS5 writes a segment per statement, so a message indexed on its own
 * cost several times its share of a batch. Searches read the messages above the marker too (see
 * dead-letter-filter.ts), which therefore stay few. A connection counts the messages it found above
 * the marker at open, so short-lived processes that each add a few messages do not leave an ever
 * longer tail behind; writers open at the same time can each add up to a batch.
 */
import type Database from 'better-sqlite3';
import { TEXT_MARKER } from './migrations/0021_error_text_marker.js';
import type { SqliteStatement } from './statement.js';

/** New messages a writer lets accumulate before it indexes them (the most a search reads unindexed). */
export const TEXT_INDEX_BATCH = 2000;

/** How many recently added or found messages a connection remembers, to choose how to look one up. */
const RECENT_MESSAGES = 1024;

/** Looks messages up (or adds them) on one connection, and indexes the new ones. */
export class DeadLetterMessages {
  private readonly find: SqliteStatement;
  private readonly add: SqliteStatement;
  private readonly bounds: SqliteStatement;
  private readonly indexAbove: SqliteStatement;
  private readonly setMarker: SqliteStatement;
  /** Messages above the marker when this connection opened, plus those it added, since it last indexed. */
  private pending: number;
  /**
   * Messages this connection added or found lately. Only a hint of which statement to try first (a
   * message seen lately is likely stored, another one likely new); ids are never taken from it, as a
   * purge may delete a message between transactions.
   */
  private recent = new Set<string>();
  private older = new Set<string>();

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id FROM redrive_dead_letter_messages WHERE message = ?').pluck();
    // OR IGNORE: a statement that cannot abort part-way needs no statement journal, which would
    // copy every page the insert touches; a message stored already is then found by `find`.
    this.add = db.prepare('INSERT OR IGNORE INTO redrive_dead_letter_messages (message) VALUES (?)');
    // Undefined before migration 21 (a connection opened without migrating): nothing is indexed.
    this.bounds = db.prepare(
      `SELECT value AS marker, (SELECT COALESCE(MAX(id), 0) FROM redrive_dead_letter_messages) AS last
         FROM redrive_dead_letter_tally WHERE name = '${TEXT_MARKER}'`,
    );
    this.indexAbove = db.prepare(
      `INSERT INTO redrive_dead_letter_message_text (rowid, message)
         SELECT id, message FROM redrive_dead_letter_messages WHERE id > ? AND id <= ?`,
    );
    this.setMarker = db.prepare(
      `UPDATE redrive_dead_letter_tally SET value = ? WHERE name = '${TEXT_MARKER}'`,
    );
    const at = this.bounds.get() as { marker: number; last: number } | undefined;
    this.pending = at ? Math.max(0, at.last - at.marker) : 0;
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
        id = this.lookUp(message);
        ids.set(message, id);
      }
      return id;
    };
  }

  /**
   * The id of `message`, added when new. A message not seen lately is inserted first (one statement
   * when it is new, as most such are); one seen lately is looked up first (one statement when it is
   * stored, as in a failure storm).
   */
  private lookUp(message: string): number {
    const seen = this.recent.has(message) || this.older.has(message);
    this.remember(message);
    if (seen) {
      const id = this.find.get(message) as number | undefined;
      if (id !== undefined) return id;
    }
    const added = this.add.run(message);
    if (added.changes === 1) {
      this.pending++;
      return Number(added.lastInsertRowid);
    }
    return this.find.get(message) as number;
  }

  private remember(message: string): void {
    if (this.recent.has(message)) return;
    this.recent.add(message);
    // Two generations: a message stays remembered for at least RECENT_MESSAGES others.
    if (this.recent.size >= RECENT_MESSAGES) {
      this.older = this.recent;
      this.recent = new Set();
    }
  }

  /**
   * Indexes every message above the marker (every writer's) when this connection has counted
   * {@link TEXT_INDEX_BATCH} or `force` is set, and moves the marker; inside the caller's write
   * transaction. Returns how many were indexed.
   */
  indexNew(options: { force?: boolean } = {}): number {
    if (!options.force && this.pending < TEXT_INDEX_BATCH) return 0;
    this.pending = 0;
    const at = this.bounds.get() as { marker: number; last: number } | undefined;
    if (!at || at.last <= at.marker) return 0;
    const indexed = this.indexAbove.run(at.marker, at.last).changes;
    this.setMarker.run(at.last);
    return indexed;
  }
}
