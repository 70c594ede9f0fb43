/**
 * The shared stack frames of the SQLite dead-letter queue (`redrive_dead_letter_stacks`, migration
 * 12). A stack is split where its frames start: the head (the error's class and its own message,
 * which often names an id) stays on the entry in `error_stack`; the frames are stored once and the
 * entry names them by `stack_id`. Each insert batch looks each distinct frames text up once (adding
 * it when new) and adds its entry count once, so a failure storm thrown from one place writes its
 * frames once instead of a kilobyte per dead letter.
 */
import type Database from 'better-sqlite3';
import type { SqliteStatement } from './statement.js';

/** Where the frames of a V8 stack start (the line break before the first frame). */
const FRAMES_START = '\n    at ';

/** An entry's whole stack, as reads return it (`error_stack` alone for entries without frames stored apart). */
export const ERROR_STACK_SQL = `CASE WHEN stack_id IS NULL THEN error_stack ELSE error_stack ||
  COALESCE((SELECT frames FROM redrive_dead_letter_stacks WHERE id = stack_id), '') END`;

/** How an entry's stack is written: its head on the entry, its frames by id (null: the stack kept whole). */
export interface StoredStack {
  head: string | null;
  id: number | null;
}

const WHOLE_NULL: StoredStack = { head: null, id: null };

/** The statements of the stacks table. */
interface StackStatements {
  find: SqliteStatement;
  add: SqliteStatement;
  addRefs: SqliteStatement;
  dropUnused: SqliteStatement;
}

/** Looks stack frames up (or adds them) on one connection. */
export class DeadLetterStacks {
  private readonly stmt: StackStatements;

  constructor(db: Database.Database) {
    this.stmt = {
      find: db.prepare('SELECT id FROM redrive_dead_letter_stacks WHERE frames = ?').pluck(),
      add: db.prepare('INSERT INTO redrive_dead_letter_stacks (frames, refs) VALUES (?, 0)'),
      addRefs: db.prepare('UPDATE redrive_dead_letter_stacks SET refs = refs + ? WHERE id = ?'),
      dropUnused: db.prepare('DELETE FROM redrive_dead_letter_stacks WHERE id = ? AND refs = 0'),
    };
  }

  /**
   * The stacks of one insert batch, inside its write transaction. Not kept across transactions (a
   * purge may delete a stack in between).
   */
  batch(): StackBatch {
    return new StackBatch(this.stmt);
  }
}

/** The stacks of one insert batch: split them, count the entries stored, then {@link flush}. */
export class StackBatch {
  private readonly ids = new Map<string, number>();
  /** Entries stored per stack id in this batch. */
  private readonly counts = new Map<number, number>();

  constructor(private readonly stmt: StackStatements) {}

  /** How `stack` is written: its frames looked up, or added, once per batch. */
  split(stack: string | null | undefined): StoredStack {
    if (stack === null || stack === undefined) return WHOLE_NULL;
    const start = stack.indexOf(FRAMES_START);
    if (start < 0) return { head: stack, id: null };
    const frames = stack.slice(start);
    let id = this.ids.get(frames);
    if (id === undefined) {
      id =
        (this.stmt.find.get(frames) as number | undefined) ??
        Number(this.stmt.add.run(frames).lastInsertRowid);
      this.ids.set(frames, id);
      this.counts.set(id, 0);
    }
    return { head: stack.slice(0, start), id };
  }

  /** Counts an entry stored with `stack` (one {@link split} returned). */
  stored(stack: StoredStack): void {
    if (stack.id !== null) this.counts.set(stack.id, (this.counts.get(stack.id) ?? 0) + 1);
  }

  /** Adds the batch's counts; frames added for entries that were not stored (duplicates) go again. */
  flush(): void {
    for (const [id, n] of this.counts) {
      if (n > 0) this.stmt.addRefs.run(n, id);
      else this.stmt.dropUnused.run(id);
    }
  }
}
