/**
 * Job events on SQLite: a capped table, `redrive_job_events`, one row per queue and published
 * batch (the events as a JSON array). A listener reads the rows after the last sequence number it
 * saw; it is woken by the store's change watcher (`PRAGMA data_version`, polled every
 * `pollIntervalMs`, default 5 ms) when another process commits, and at once by a publish through
 * the same store. So events arrive a few milliseconds after the worker's batch is written, and a
 * listener can resume from a sequence number it saved while the row is still kept (the newest
 * `eventRetention` rows, default 10 000).
 */
import type Database from 'better-sqlite3';
import { type JobEvent, parseJobEvents } from '../../core/job-event.js';
import type {
  JobEventSubscription,
  PublishJobEventsParams,
  SubscribeJobEventsParams,
} from '../job-event-store.js';
import type { QueueWatcher } from './queue-watcher.js';
import type { SqliteTransactions } from './transactions.js';

/** Default rows kept (each one queue's batch of events). */
export const DEFAULT_EVENT_RETENTION = 10_000;
/** Rows read per wake-up at most (the reader goes on while it finds full pages). */
const READ_PAGE = 200;

/** Publishes and reads job events of one SQLite database. */
export class SqliteJobEvents {
  private readonly insert: Database.Statement;
  private readonly trim: Database.Statement;
  private readonly readAfter: Database.Statement;
  private readonly newest: Database.Statement;
  /** This store's subscribers, per queue: woken directly by its own publishes. */
  private readonly local = new Map<string, Set<() => void>>();

  constructor(
    db: Database.Database,
    private readonly tx: SqliteTransactions,
    private readonly watcher: QueueWatcher,
    private readonly retention: number,
  ) {
    this.insert = db.prepare('INSERT INTO redrive_job_events (queue, events, at) VALUES (?, ?, ?)');
    this.trim = db.prepare('DELETE FROM redrive_job_events WHERE seq <= ?');
    this.readAfter = db.prepare(
      'SELECT seq, events FROM redrive_job_events WHERE queue = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.newest = db.prepare('SELECT max(seq) FROM redrive_job_events').pluck();
  }

  /** One transaction: a row per queue of the batch, then the oldest rows past the retention go. */
  publish(params: PublishJobEventsParams): void {
    const byQueue = new Map<string, JobEvent[]>();
    for (const event of params.events) {
      const list = byQueue.get(event.queue);
      if (list) list.push(event);
      else byQueue.set(event.queue, [event]);
    }
    if (byQueue.size === 0) return;
    this.tx.write(() => {
      let trimBelow = 0;
      for (const [queue, events] of byQueue) {
        const seq = Number(this.insert.run(queue, JSON.stringify(events), params.now).lastInsertRowid);
        // Only every 100th row trims (the cap is approximate, like Redis' MAXLEN ~).
        if (seq % 100 === 0) trimBelow = seq - this.retention;
      }
      if (trimBelow > 0) this.trim.run(trimBelow);
    });
    for (const queue of byQueue.keys()) {
      const set = this.local.get(queue);
      if (set) for (const wake of [...set]) wake();
    }
  }

  /** Reads the queue's rows after `after` (or the newest row) whenever the database changes. */
  async subscribe(params: SubscribeJobEventsParams): Promise<JobEventSubscription> {
    let last = params.after !== undefined ? Number(params.after) : this.newestSeq();
    if (!Number.isFinite(last)) last = 0;
    let closed = false;
    const read = (): void => {
      if (closed) return;
      try {
        for (;;) {
          const rows = this.tx.read(() => this.readAfter.all(params.queue, last, READ_PAGE)) as {
            seq: number;
            events: string;
          }[];
          for (const row of rows) {
            last = row.seq;
            params.deliver(parseJobEvents(row.events), String(row.seq));
          }
          if (rows.length < READ_PAGE || closed) return;
        }
      } catch (error) {
        params.error(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const set = this.local.get(params.queue) ?? new Set<() => void>();
    this.local.set(params.queue, set);
    set.add(read);
    const unwatch = this.watcher.watch(`\u0000events:${params.queue}`, read);
    // Rows published between `after` and now are delivered at once.
    if (params.after !== undefined) queueMicrotask(read);
    return {
      close: async () => {
        closed = true;
        unwatch();
        set.delete(read);
        if (set.size === 0 && this.local.get(params.queue) === set) this.local.delete(params.queue);
      },
    };
  }

  private newestSeq(): number {
    return Number((this.tx.read(() => this.newest.get()) as number | null) ?? 0);
  }
}
