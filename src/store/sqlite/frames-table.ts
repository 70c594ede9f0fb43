/**
 * A table of stack frames stored once and counted by reference: the dead-letter stacks of
 * migration 12 (`redrive_dead_letter_stacks`) and the retried attempts' frames of migration 19
 * (`redrive_job_stack_frames`) have the same shape, `(id, frames UNIQUE, refs)`. A failure storm
 * thrown from one place then writes its frames once instead of a kilobyte per failure.
 */
import type Database from 'better-sqlite3';
import type { SqliteStatement } from './statement.js';

/** Where the frames of a V8 stack start (the line break before the first frame). */
export const FRAMES_START = '\n    at ';

/** The frames tables, by name (the only names the statements below are built with). */
export type FramesTableName = 'redrive_dead_letter_stacks' | 'redrive_job_stack_frames';

/** Looks frames up (or adds them) and counts their references, on one connection. */
export class FramesTable {
  private readonly find: SqliteStatement;
  private readonly add: SqliteStatement;
  private readonly addRefsStmt: SqliteStatement;
  private readonly dropUnusedStmt: SqliteStatement;

  constructor(db: Database.Database, table: FramesTableName) {
    this.find = db.prepare(`SELECT id FROM ${table} WHERE frames = ?`).pluck();
    this.add = db.prepare(`INSERT INTO ${table} (frames, refs) VALUES (?, 0)`);
    this.addRefsStmt = db.prepare(`UPDATE ${table} SET refs = refs + ? WHERE id = ?`);
    this.dropUnusedStmt = db.prepare(`DELETE FROM ${table} WHERE id = ? AND refs = 0`);
  }

  /** The id of `frames`, added with no reference when new (call inside the write transaction). */
  idOf(frames: string): number {
    return (this.find.get(frames) as number | undefined) ?? Number(this.add.run(frames).lastInsertRowid);
  }

  /** Adds `n` references to the frames `id`. */
  addRefs(id: number, n: number): void {
    this.addRefsStmt.run(n, id);
  }

  /** Deletes the frames `id` if nothing references them (added for a write that did not happen). */
  dropUnused(id: number): void {
    this.dropUnusedStmt.run(id);
  }
}
