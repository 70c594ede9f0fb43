/**
 * The SQLite dead-letter queue stores each distinct stack's frames once (migration 12): entries
 * keep the head of their stack (the error's own message) and name their frames, every read returns
 * the whole stack as it was given, deleting an entry takes its count off (the frames go with their
 * last entry), and entries of a database from before the migration read as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1);
const FRAMES = '\n    at charge (/app/src/billing.ts:41:11)\n    at handler (/app/src/jobs/charge.ts:17:5)';
const stackOf = (message: string) => `PaymentError: ${message}${FRAMES}`;
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-stacks-'));
  return join(dir, 'dlq.db');
}

function stackRows(path: string): { frames: string; refs: number; entries: number }[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare(
        `SELECT s.frames, s.refs, (SELECT COUNT(*) FROM redrive_dead_letters d WHERE d.stack_id = s.id) AS entries
           FROM redrive_dead_letter_stacks s ORDER BY s.frames`,
      )
      .all() as { frames: string; refs: number; entries: number }[];
  } finally {
    raw.close();
  }
}

it('stores the frames of a storm once and reads every entry back with its whole stack', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const storm = Array.from({ length: 120 }, (_, i) =>
      standaloneDeadLetter(`s-${i}`, T0 + i, {
        errorMessage: `card ${i} declined`,
        errorStack: stackOf(`card ${i} declined`),
      }),
    );
    for (let i = 0; i < storm.length; i += 50) {
      await store.insertDeadLetters({ deadLetters: storm.slice(i, i + 50), now: T0 });
    }
    // A resent entry (same id) is not stored again and not counted again.
    await store.insertDeadLetters({ deadLetters: storm.slice(0, 2), now: T0 });
    await store.insertDeadLetters({
      deadLetters: [
        standaloneDeadLetter('no-frames', T0, { errorStack: 'Error: thrown without frames' }),
        standaloneDeadLetter('no-stack', T0, { errorStack: null }),
      ],
      now: T0,
    });
    expect(stackRows(path)).toEqual([{ frames: FRAMES, refs: 120, entries: 120 }]);

    expect((await store.getDeadLetter({ id: 's-7' }))?.errorStack).toBe(stackOf('card 7 declined'));
    expect((await store.getDeadLetter({ id: 'no-frames' }))?.errorStack).toBe('Error: thrown without frames');
    expect((await store.getDeadLetter({ id: 'no-stack' }))?.errorStack).toBeNull();
    const page = await store.listDeadLetters({ limit: 200 });
    const stacks = new Map(page.items.map((d) => [d.id, d.errorStack]));
    for (let i = 0; i < 120; i++) expect(stacks.get(`s-${i}`)).toBe(stackOf(`card ${i} declined`));
    const resolved = await store.resolveDeadLetters({ ids: ['s-3'], now: T0 + 1, actor: 'test' });
    expect(resolved.resolved).toEqual(['s-3']);
    const acquired = await store.acquireDeadLetterForReplay({ id: 's-4', now: T0 + 1 });
    expect(acquired.deadLetter?.errorStack).toBe(stackOf('card 4 declined'));
  } finally {
    await store.close();
  }
});

it('takes a purged entry off its frames, and deletes the frames with their last entry', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    await store.insertDeadLetters({
      deadLetters: ['a', 'b'].map((id, i) =>
        standaloneDeadLetter(id, T0 + i, { errorStack: stackOf(`order ${id} rejected`) }),
      ),
      now: T0,
    });
    await store.resolveDeadLetters({ ids: ['a', 'b'], now: T0 + 2, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 3, before: T0 + 3, limit: 10 });
    await store.purgeDeadLetters({ ids: ['a'], limit: 10, now: T0 + 4 });
    expect(stackRows(path)).toEqual([{ frames: FRAMES, refs: 1, entries: 1 }]);
    expect((await store.getDeadLetter({ id: 'b' }))?.errorStack).toBe(stackOf('order b rejected'));
    await store.purgeDeadLetters({ ids: ['b'], limit: 10, now: T0 + 4 });
    expect(stackRows(path)).toEqual([]);
  } finally {
    await store.close();
  }
});

it('reads the whole stacks of a database from before the migration, and stores new ones apart', async () => {
  // An entry written whole, as a release before stacks were stored once wrote it: a database
  // built by migrations 1-11 only.
  const path = freshPath();
  const old = new Database(path);
  migrateSqliteSchema(old, path, SQLITE_MIGRATIONS.slice(0, 11));
  old.close();
  const raw = new Database(path);
  raw
    .prepare(
      `INSERT INTO redrive_dead_letters (id, domain, failure_type, error_message, error_stack, fingerprint,
         attempts, metadata, status, max_replays, first_failed_at, dead_lettered_at, updated_at)
       VALUES ('old', 'billing', 'permanent', 'card old declined', ?, 'fp', '[]', '{}', 'pending', 2, ?, ?, ?)`,
    )
    .run(stackOf('card old declined'), T0, T0, T0);
  raw.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect((await store.getDeadLetter({ id: 'old' }))?.errorStack).toBe(stackOf('card old declined'));
    await store.insertDeadLetters({
      deadLetters: [standaloneDeadLetter('new', T0 + 1, { errorStack: stackOf('card new declined') })],
      now: T0 + 1,
    });
    expect(stackRows(path)).toEqual([{ frames: FRAMES, refs: 1, entries: 1 }]);
    const items = (await store.listDeadLetters({ limit: 10, order: 'oldest' })).items;
    expect(items.map((d) => [d.id, d.errorStack])).toEqual([
      ['old', stackOf('card old declined')],
      ['new', stackOf('card new declined')],
    ]);
  } finally {
    await store.close();
  }
});
