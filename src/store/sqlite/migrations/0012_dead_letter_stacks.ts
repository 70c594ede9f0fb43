/**
 * Each distinct stack trace stored once. A failure storm throws the same error from the same place
 * thousands of times; the frames of its stack (about a kilobyte) were written with every dead
 * letter, a quarter of the pages a storm's commits wrote. Now an entry keeps the head of its stack
 * (the lines before the first frame: the error's class and its own message) in `error_stack` and
 * names the rest by `stack_id` in `redrive_dead_letter_stacks`, which counts the entries naming
 * each (`refs`). Entries written before keep their whole stack and no `stack_id`; reads join the
 * two (see dead-letter-stacks.ts).
 *
 * Inserts add the counts once per batch (no trigger runs per inserted entry); deleting an entry
 * takes one off, and the stack goes with its last entry.
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE TABLE redrive_dead_letter_stacks (
  id     INTEGER PRIMARY KEY,
  frames TEXT    NOT NULL UNIQUE,
  refs   INTEGER NOT NULL
);
ALTER TABLE redrive_dead_letters ADD COLUMN stack_id INTEGER;
CREATE TRIGGER redrive_dead_letters_stack_delete AFTER DELETE ON redrive_dead_letters
  WHEN OLD.stack_id IS NOT NULL BEGIN
  UPDATE redrive_dead_letter_stacks SET refs = refs - 1 WHERE id = OLD.stack_id;
  DELETE FROM redrive_dead_letter_stacks WHERE id = OLD.stack_id AND refs <= 0;
END;
`;

/** Migration 12. */
export const deadLetterStacks: SqliteMigration = {
  version: 12,
  name: '0012_dead_letter_stacks',
  up: (db) => db.exec(SQL),
};
