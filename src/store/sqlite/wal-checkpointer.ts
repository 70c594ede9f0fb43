/**
 * WAL checkpoints on a thread of their own. By default SQLite checkpoints inside the commit that
 * takes the WAL past 1,000 pages: that commit copies every page of the WAL back into the database
 * file (a read and a write per page, and two syncs), about a third of the commit cost of a busy
 * store, on the thread that runs the jobs. Once a store's WAL file has grown that far, a worker
 * thread with its own connection runs passive checkpoints (which never block readers or writers)
 * paced to copy about {@link FRAMES_PER_CHECKPOINT} new WAL frames each, as SQLite's own would,
 * and the store's connection checkpoints itself only when the WAL passes {@link SAFETY_NET_PAGES}
 * pages. Those late checkpoints find most pages already copied, and they keep the WAL bounded if
 * the thread falls behind or stops. (The WAL starts again from its beginning only when a write
 * begins with every frame copied; under a steady stream of commits that is mostly after one of
 * those late checkpoints, which runs right after a commit.)
 *
 * Durability is unchanged: a commit is as durable as `synchronous` makes it whichever connection
 * checkpoints, and every checkpoint syncs the WAL before copying it. Other processes, and readers
 * on other connections, share the file as before (a checkpoint is a normal SQLite operation that
 * any connection of the file may run). A store whose WAL never reaches SQLite's threshold (a CLI
 * command, a test, a quiet worker) never starts the thread and checkpoints as SQLite does.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** The WAL file size, in pages, from which the thread starts (SQLite's default threshold). */
export const START_AT_WAL_PAGES = 1000;

/** How many committed write transactions apart the WAL file's size is looked at (one `stat`). */
export const CHECK_EVERY_WRITES = 16;

/**
 * The store's own checkpoint threshold once the thread runs, in pages (16 MB of 4 KB pages): far
 * enough that the thread does the copying, close enough to keep the WAL small.
 */
export const SAFETY_NET_PAGES = 4000;

/** SQLite's default `wal_autocheckpoint`, restored when the thread stops early. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/**
 * New WAL frames a checkpoint of the thread aims to copy (SQLite's own checkpoints copy about as
 * many). A checkpoint costs two syncs, and it copies the last version of every page written since
 * the one before: the pages a busy store writes at every commit (b-tree roots and inner pages, the
 * leaves new rows go to, counters) are copied once per checkpoint. Checkpoints 4 ms apart copied
 * those pages at nearly every commit: a dead-letter `store()` burst spent about a fifth of its CPU
 * on the thread.
 */
export const FRAMES_PER_CHECKPOINT = 1000;

/**
 * The bounds of the pause between checkpoints: set from the rate the WAL grew at, for about
 * {@link FRAMES_PER_CHECKPOINT} new frames by the next one, and doubled towards the idle pause
 * while it does not grow.
 */
const BUSY_PAUSE_MS = 4;
const IDLE_PAUSE_MS = 250;

/**
 * The thread's code (CommonJS, evaluated, so that it needs no module file of its own in the
 * build): opens the file, runs `wal_checkpoint(PASSIVE)` whenever the WAL has grown since the last
 * one, and closes its connection when told to stop.
 */
const THREAD_CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
// Preparing may wait out a migration of another process; the checkpoints themselves never wait.
db.pragma('busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const { busyPauseMs, idlePauseMs, framesPerCheckpoint } = workerData;
let lastLog = 0;
let pause = busyPauseMs;
let timer = null;
function tick() {
  timer = null;
  try {
    const row = checkpoint.get();
    if (row.log < 0) {
      // Another connection was checkpointing or starting the log again: try again soon.
      pause = busyPauseMs;
    } else {
      // Frames written since the last checkpoint (the log starts again from 0 once all copied).
      const added = row.log >= lastLog ? row.log - lastLog : row.log;
      lastLog = row.log;
      pause = added > 0
        ? Math.min(Math.max((pause * framesPerCheckpoint) / added, busyPauseMs), idlePauseMs)
        : Math.min(pause * 2, idlePauseMs);
    }
  } catch (error) {
    // A locked or busy file: the next tick tries again soon. Anything else (an I/O error, a corrupt
    // or moved file) would fail every tick: it ends the thread, and the store is told why.
    const code = error && typeof error.code === 'string' ? error.code : '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) pause = busyPauseMs;
    else throw error;
  }
  timer = setTimeout(tick, pause);
}
parentPort.on('message', (message) => {
  if (message === 'stop') {
    if (timer) clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
timer = setTimeout(tick, pause);
`;

/** Moves the checkpoints of one file database's store connection to a worker thread. */
export class WalCheckpointer {
  private writes = 0;
  private readonly startAtBytes: number;
  private worker: Worker | null = null;
  private stopped = false;

  /**
   * @param db the store's connection (its `wal_autocheckpoint` is raised while the thread runs)
   * @param path the database file, opened again by the thread
   * @param synchronous the store's level, which the thread's checkpoints sync by
   */
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly synchronous: 'NORMAL' | 'FULL',
  ) {
    this.startAtBytes = START_AT_WAL_PAGES * (db.pragma('page_size', { simple: true }) as number);
  }

  /**
   * Counts a committed write transaction; every {@link CHECK_EVERY_WRITES}, starts the thread if
   * the WAL file has reached {@link START_AT_WAL_PAGES} pages.
   */
  noteWrite(): void {
    if (this.worker !== null || this.stopped) return;
    if (++this.writes % CHECK_EVERY_WRITES !== 0) return;
    let size: number;
    try {
      size = statSync(`${this.path}-wal`).size;
    } catch {
      // No WAL file to look at (not in WAL mode, or just truncated): nothing to offload yet.
      return;
    }
    if (size >= this.startAtBytes) this.start();
  }

  /** Whether the thread runs (for tests). */
  get running(): boolean {
    return this.worker !== null;
  }

  private start(): void {
    let worker: Worker;
    try {
      worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: {
          driver: createRequire(import.meta.url).resolve('better-sqlite3'),
          path: this.path,
          synchronous: this.synchronous,
          busyPauseMs: BUSY_PAUSE_MS,
          idlePauseMs: IDLE_PAUSE_MS,
          framesPerCheckpoint: FRAMES_PER_CHECKPOINT,
        },
      });
    } catch {
      // No thread (a restricted runtime): checkpoints stay in the commits.
      this.stopped = true;
      return;
    }
    worker.unref();
    // A thread that dies (the file vanished, the driver failed to load, a checkpoint failed other
    // than on a lock) hands checkpoints back to the store's commits, at SQLite's default threshold.
    worker.on('error', (error) => this.handBack(worker, error));
    worker.on('exit', () => this.handBack(worker));
    this.worker = worker;
    this.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  }

  private handBack(worker: Worker, error?: unknown): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.stopped = true;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    if (error) {
      // Nothing is lost (the commits checkpoint again), but the cause may be a failing disk.
      process.emitWarning(
        `SQLite WAL checkpoint thread for ${this.path} stopped: ${describeThreadError(error)}; checkpoints run in the store's commits again`,
        { code: 'REDRIVE_SQLITE_CHECKPOINT' },
      );
    }
  }

  /** Stops the thread (its connection closed first, so the store's close is the last one). */
  async close(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    // Held referenced until it exits: an unreferenced thread would not keep the process waiting.
    worker.ref();
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('stop');
    });
  }
}

/**
 * What a thread's error says. An error thrown on the thread arrives as a structured clone: a
 * driver error may keep only its `code` (SQLITE_CANTOPEN, say), not its message.
 */
function describeThreadError(error: unknown): string {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const parts = [code, message].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length > 0 ? parts.join(': ') : String(error);
}
