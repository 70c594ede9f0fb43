/**
 * The shared frames of retried attempts' stacks (`redrive_job_stack_frames`, migration 19). A
 * failure storm retries thousands of jobs that threw the same error from the same place: the
 * frames of that stack (from its first `at` line on) are stored once, and each job names them from
 * its row (`attempt_stack_refs`), with the head of the stack (the error's class and message) only
 * when the attempt's own `errorClass: message` does not spell it. A failure batch looks each
 * distinct frames text up once (adding it when new) and adds its references once.
 */
import type Database from 'better-sqlite3';
import type { AttemptRecord } from '../../core/job.js';
import { FRAMES_START, FramesTable } from './frames-table.js';

/** Looks frames up (or adds them) on one connection. */
export class JobStackFrames {
  private readonly table: FramesTable;

  constructor(db: Database.Database) {
    this.table = new FramesTable(db, 'redrive_job_stack_frames');
  }

  /**
   * The frames of one failure batch, inside its write transaction. Ids are not kept across
   * transactions: another connection may delete the last job naming some frames in between.
   */
  batch(): StackFramesBatch {
    return new StackFramesBatch(this.table);
  }
}

/** The frames of one failure batch: {@link ref} each stack, then {@link flush} the counts. */
export class StackFramesBatch {
  /** References added per frames id in this batch. */
  private readonly counts = new Map<number, number>();
  /** The frames of the last stack, and their id: a storm repeats them, compared in place. */
  private lastFrames = '';
  private lastId = 0;

  constructor(private readonly table: FramesTable) {}

  /**
   * The reference (JSON text) a job row keeps for `attempt`'s stack: `[id]`, `[id,"head"]`, or
   * `[null,"stack"]` for a stack without frames. Counts one reference to the frames.
   */
  ref(stack: string, attempt: AttemptRecord): string {
    const start = stack.indexOf(FRAMES_START);
    if (start < 0) return `[null,${JSON.stringify(stack)}]`;
    let id: number;
    // Compared where they lie in the stack: no copy of a kilobyte per failure, and no hash of it.
    if (stack.length - start === this.lastFrames.length && stack.startsWith(this.lastFrames, start)) {
      id = this.lastId;
    } else {
      const frames = stack.slice(start);
      id = this.table.idOf(frames);
      this.lastFrames = frames;
      this.lastId = id;
    }
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    return hasDefaultHead(stack, start, attempt)
      ? `[${id}]`
      : `[${id},${JSON.stringify(stack.slice(0, start))}]`;
  }

  /** Adds the batch's references to the frames' counts. */
  flush(): void {
    for (const [id, n] of this.counts) this.table.addRefs(id, n);
  }
}

/**
 * Whether the head of `stack` (its first `start` characters) is the one a reference leaves out:
 * V8 starts a stack with `name: message`, read back from the attempt's `errorClass` and `message`
 * (see {@link attemptDefaultHeadSql}). Never when either is missing or empty, where V8 writes the
 * head differently.
 */
function hasDefaultHead(stack: string, start: number, attempt: AttemptRecord): boolean {
  const { errorClass, message } = attempt;
  if (!errorClass || !message || start !== errorClass.length + 2 + message.length) return false;
  return (
    stack.startsWith(errorClass) &&
    stack.startsWith(': ', errorClass.length) &&
    stack.startsWith(message, errorClass.length + 2)
  );
}

/**
 * The head {@link hasDefaultHead} leaves out, in SQL, for the attempt at position `position` (an
 * SQL expression) of a job's `attempts`: as JSON string text without its closing quote (`"Error:
 * boom`), to be followed by the frames' JSON text without its opening quote. Kept as JSON text
 * throughout, because SQLite's JSON functions turn an escaped lone surrogate (a message cut inside
 * an emoji) into three U+FFFD when they decode a string, and JSON.parse gives it back as it was.
 */
export function attemptDefaultHeadSql(attemptsColumn: string, position: string): string {
  const field = (name: string) => `(${attemptsColumn} -> ('$[' || ${position} || '].${name}'))`;
  const errorClass = field('errorClass');
  const message = field('message');
  return `substr(${errorClass}, 1, length(${errorClass}) - 1) || ': ' || substr(${message}, 2, length(${message}) - 2)`;
}

/** Appends `"<position>":<ref>` to a job's references (a JSON object as text, or null). */
export function appendStackRef(refs: string | null, position: number, ref: string): string {
  const entry = `"${position}":${ref}`;
  return refs === null ? `{${entry}}` : `${refs.slice(0, -1)},${entry}}`;
}
