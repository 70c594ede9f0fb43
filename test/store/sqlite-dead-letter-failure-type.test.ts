/**
 * SQLite keeps no index of the failure type (migration 18): a list filtered by failure type finds
 * the failure groups holding it in the per-fingerprint counters and reads their entries through the
 * fingerprint index. It returns exactly what a scan of the table returns (newest or oldest first,
 * ties by row id, by offset and by cursor, with its total), alone or with statuses, domains and a
 * time range, whether the type spans a few groups (read one by one and merged, without sorting) or
 * many; an entry moved to another group by a regrouping is still found. A database of schema 17
 * loses the index and lists the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import type { DeadLetterFilter } from '../../src/store/dead-letter-store.js';
import {
  FAILURE_TYPE_ARMS,
  FAILURE_TYPE_SORT_BOUND,
  planFailureType,
} from '../../src/store/sqlite/dead-letter-failure-type.js';
import { buildWhere } from '../../src/store/sqlite/dead-letter-filter.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { expectListing } from '../support/dead-letter-listing.js';
import { forEachUnsortedPagePlan } from '../support/sqlite-plans.js';

const T0 = Date.UTC(2026, 0, 1);
const INDEX = 'redrive_dead_letters_failure_type_time';
const DOMAINS = ['payment', 'email', 'webhook'];
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * The i-th entry: 50 fingerprints; `timeout` in four of them (a type of few groups), `permanent`
 * and `retries_exhausted` spread over the other 46 (types of more groups than are read one by one),
 * the rest `poison_pill`. Three entries per millisecond, inserted out of time order.
 */
function entry(i: number) {
  const group = i % 50;
  const type =
    group < 4 ? 'timeout' : i % 13 === 0 ? 'permanent' : i % 13 === 1 ? 'retries_exhausted' : 'poison_pill';
  return standaloneDeadLetter(`dl-${i}`, T0 + Math.floor(((i * 37) % 1200) / 3), {
    domain: DOMAINS[i % 3]!,
    fingerprint: `fp-${group}`,
    failureType: type,
  });
}

/** The ids matching `where` in list order, straight from the table without any index. */
function expected(path: string, where: string, args: unknown[], order: 'newest' | 'oldest'): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    const by = order === 'newest' ? 'dead_lettered_at DESC, rowid ASC' : 'dead_lettered_at ASC, rowid DESC';
    return raw
      .prepare(`SELECT id FROM redrive_dead_letters NOT INDEXED WHERE ${where} ORDER BY ${by}`)
      .pluck()
      .all(...args) as string[];
  } finally {
    raw.close();
  }
}

function hasIndex(path: string): boolean {
  const raw = new Database(path, { readonly: true });
  try {
    return (
      raw.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?").get(INDEX) !== undefined
    );
  } finally {
    raw.close();
  }
}

it('drops the failure-type index of a database of schema 17 and lists every failure type exactly, alone and with other conditions', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-failure-type-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 17));
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({ deadLetters: Array.from({ length: 1200 }, (_, i) => entry(i)), now: T0 });
  db.close();
  expect(hasIndex(path)).toBe(true);

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(hasIndex(path)).toBe(false);
    // Some entries change status; one `timeout` entry moves to a group of its own.
    await store.resolveDeadLetters({
      ids: Array.from({ length: 60 }, (_, k) => `dl-${k * 10}`),
      now: T0,
      actor: 'test',
    });
    await store.regroupDeadLetters({
      changes: [{ id: 'dl-50', fingerprint: 'fp-moved', fingerprintVersion: 2 }],
    });

    const cases: [DeadLetterFilter, string, unknown[]][] = [
      [{ failureType: 'timeout' }, 'failure_type = ?', ['timeout']],
      [{ failureType: 'permanent' }, 'failure_type = ?', ['permanent']],
      [{ failureType: 'retries_exhausted' }, 'failure_type = ?', ['retries_exhausted']],
      [
        { failureType: 'permanent', statuses: ['pending'] },
        "failure_type = ? AND status = 'pending'",
        ['permanent'],
      ],
      [{ failureType: 'timeout', domain: 'email' }, 'failure_type = ? AND domain = ?', ['timeout', 'email']],
      [
        { failureType: 'retries_exhausted', from: T0 + 20, to: T0 + 260 },
        'failure_type = ? AND dead_lettered_at >= ? AND dead_lettered_at < ?',
        ['retries_exhausted', T0 + 20, T0 + 260],
      ],
    ];
    for (const [filter, where, args] of cases) {
      for (const order of ['newest', 'oldest'] as const) {
        const all = expected(path, where, args, order);
        expect(all.length, JSON.stringify(filter)).toBeGreaterThanOrEqual(30);
        await expectListing((p) => store.listDeadLetters(p), filter, order, all);
      }
    }
    expect(
      (await store.listDeadLetters({ failureType: 'timeout', fingerprint: 'fp-moved', limit: 5 })).items.map(
        (d) => d.id,
      ),
    ).toEqual(['dl-50']);
    const none = await store.listDeadLetters({ failureType: 'no_such_type', limit: 5 });
    expect(none).toMatchObject({ items: [], total: 0, nextCursor: null });
  } finally {
    await store.close();
  }
});

it('reads a failure type of a few groups group by group, in time order, without sorting its entries', async () => {
  await forEachUnsortedPagePlan(
    [
      { failureType: 'timeout', limit: 25 },
      { failureType: 'timeout', order: 'oldest', limit: 25 },
      { failureType: 'timeout', statuses: ['pending'], from: T0, to: T0 + 10, limit: 25 },
    ],
    (plan) =>
      expect(
        plan.some((d) => d.includes('redrive_dead_letters_fingerprint_time')),
        plan.join('\n'),
      ).toBe(true),
  );
});

describe('planning a failure type from the counters', () => {
  const filter = { failureType: 'timeout' };
  const groups = (n: number, entries: number) =>
    Array.from({ length: n }, (_, i) => ({ fingerprint: `fp-${i}`, entries }));

  it('reads up to FAILURE_TYPE_ARMS groups one by one', () => {
    const plan = planFailureType(buildWhere(filter), filter, () => groups(FAILURE_TYPE_ARMS, 1_000_000));
    expect(plan.arms).toHaveLength(FAILURE_TYPE_ARMS);
    expect(plan.arms![0]).toEqual({ condition: 'fingerprint = ?', args: ['fp-0'] });
  });

  it('reads more groups through the fingerprint index while their entries are few enough to sort', () => {
    const many = FAILURE_TYPE_ARMS + 1;
    const plan = planFailureType(buildWhere(filter), filter, () =>
      groups(many, Math.floor(FAILURE_TYPE_SORT_BOUND / many)),
    );
    expect(plan.arms).toBeNull();
    expect(plan.clause).toContain('fingerprint IN (');
    expect(plan.args).toEqual(['timeout', ...groups(many, 0).map((g) => g.fingerprint)]);
  });

  it('reads more groups with more entries in time order', () => {
    const where = buildWhere(filter);
    const plan = planFailureType(where, filter, () => groups(FAILURE_TYPE_ARMS + 1, FAILURE_TYPE_SORT_BOUND));
    expect(plan).toEqual(where);
  });

  it('leaves a failure type alone when another indexed column selects the entries', () => {
    const other = { failureType: 'timeout', fingerprint: 'fp-1' };
    const where = buildWhere(other);
    expect(planFailureType(where, other, () => expect.unreachable('no counter read'))).toBe(where);
  });
});
