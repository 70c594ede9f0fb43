/**
 * One insert batch of the SQLite dead-letter store, inside the caller's write transaction: each
 * entry is written from the caller's record and its placement as they are (no merged copy of the
 * record per entry), its message and stack frames looked up once per batch, and the batch's
 * counters (per domain and status, per fingerprint cell) added once at the end, when the queued
 * error messages are also indexed if enough have accumulated.
 */
import type { DeadLetterConnection } from './dead-letter-connection.js';
import { GroupTally } from './dead-letter-groups.js';
import {
  type DeadLetterFields,
  type DeadLetterPlacement,
  serializedDeadLetterValues,
} from './dead-letter-rows.js';
import type { StackBatch } from './dead-letter-stacks.js';

/** Writes one batch of dead letters; {@link finish} once after the last. */
export class CaptureBatch {
  private readonly counts = new Map<string, { domain: string; status: string; n: number }>();
  private readonly tally = new GroupTally();
  private readonly messageId: (message: string) => number;
  private readonly stacks: StackBatch;

  constructor(private readonly c: DeadLetterConnection) {
    this.messageId = c.messages.batch();
    this.stacks = c.stacks.batch();
  }

  /** Inserts one entry; false when its id (or job) is stored already (it is left alone). */
  insert(
    dl: DeadLetterFields,
    at: DeadLetterPlacement,
    payloadJson: string | null,
    attemptsJson: string,
    now: number,
  ): boolean {
    const stack = this.stacks.split(dl.errorStack);
    const values = serializedDeadLetterValues(dl, at, payloadJson, attemptsJson, now, {
      messageId: this.messageId(dl.errorMessage),
      stack,
    });
    // Spread, not the array: better-sqlite3 binds an array argument element by element through
    // V8's API (a property lookup per value), about 2 µs more for the 35 values of a row.
    if (this.c.stmt.insert.run(...values).changes !== 1) return false;
    this.stacks.stored(stack);
    this.tally.add(dl, at.queue, at.status);
    const key = `${at.status}\u0000${dl.domain}`;
    const cell = this.counts.get(key);
    if (cell) cell.n++;
    else this.counts.set(key, { domain: dl.domain, status: at.status, n: 1 });
    return true;
  }

  /** Adds the batch's counts and indexes the queued error messages when enough are queued. */
  finish(): void {
    const { stmt } = this.c;
    for (const cell of this.counts.values()) stmt.addCount.run(cell.domain, cell.status, cell.n);
    this.tally.flush({ addGroupCount: stmt.addGroupCount, upsertFingerprint: stmt.upsertFingerprint });
    this.stacks.flush();
    this.c.messages.indexNew();
  }
}
