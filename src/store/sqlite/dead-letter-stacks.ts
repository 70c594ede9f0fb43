/**
 * The shared stack frames of the SQLite dead-letter queue (`redrive_dead_letter_stacks`, migration
 * 12). A stack is split where its frames start: the head (the error's class and its own message,
 * which often names an id) stays on the entry in `error_stack`; the frames are stored once and the
 * entry names them by `stack_id`. Each insert batch looks each distinct frames text up once (adding
 * it when new) and adds its entry count once, so a failure storm thrown from one place writes its
 * frames once instead of a kilobyte per dead letter.
 */
import type Database from 'better-sqlite3';
import { FRAMES_START, FramesTable } from './frames-table.js';

/** An entry's whole stack, as reads return it (`error_stack` alone for entries without frames stored apart). */
export const ERROR_STACK_SQL = `CASE WHEN stack_id IS NULL THEN error_stack ELSE error_stack ||
  COALESCE((SELECT frames FROM redrive_dead_letter_stacks WHERE id = stack_id), '') END`;

/** How an entry's stack is written: its head on the entry, its frames by id (null: the stack kept whole). */
export interface StoredStack {
  head: string | null;
  id: number | null;
}

const WHOLE_NULL: StoredStack = { head: null, id: null };

/** Looks stack frames up (or adds them) on one connection. */
export class DeadLetterStacks {
  private readonly table: FramesTable;

  constructor(db: Database.Database) {
    this.table = new FramesTable(db, 'redrive_dead_letter_stacks');
  }

  /**
   * The stacks of one insert batch, inside its write transaction. Not kept across transactions (a
   * purge may delete a stack in between).
   */
  batch(): StackBatch {
    return new StackBatch(this.table);
  }
}

/** The stacks of one insert batch: split them, count the entries stored, then {@link flush}. */
export class StackBatch {
  private readonly ids = new Map<string, number>();
  /** Entries stored per stack id in this batch. */
  private readonly counts = new Map<number, number>();

  constructor(private readonly table: FramesTable) {}

  /** How `stack` is written: its frames looked up, or added, once per batch. */
  split(stack: string | null | undefined): StoredStack {
    if (stack === null || stack === undefined) return WHOLE_NULL;
    const start = stack.indexOf(FRAMES_START);
    if (start < 0) return { head: stack, id: null };
    const frames = stack.slice(start);
    let id = this.ids.get(frames);
    if (id === undefined) {
      id = this.table.idOf(frames);
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
      if (n > 0) this.table.addRefs(id, n);
      else this.table.dropUnused(id);
    }
  }
}
