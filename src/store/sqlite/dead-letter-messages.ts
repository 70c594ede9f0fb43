/**
 * The distinct error messages of the SQLite dead-letter queue (`redrive_dead_letter_messages`,
 * migration 9): each is stored and trigram-indexed once, and entries name theirs by `message_id`.
 * Inserts look each distinct message of a batch up once (adding it when new), so a failure storm
 * of one message costs one lookup per batch instead of an index entry per trigram per dead letter.
 */
import type Database from 'better-sqlite3';
import type { SqliteStatement } from './statement.js';

/** Looks messages up (or adds them) on one connection. */
export class DeadLetterMessages {
  private readonly find: SqliteStatement;
  private readonly add: SqliteStatement;

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id FROM redrive_dead_letter_messages WHERE message = ?').pluck();
    this.add = db.prepare('INSERT INTO redrive_dead_letter_messages (message) VALUES (?)');
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
        id = (this.find.get(message) as number | undefined) ?? Number(this.add.run(message).lastInsertRowid);
        ids.set(message, id);
      }
      return id;
    };
  }
}
