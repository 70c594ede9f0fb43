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
  FAILURE_TYPE_SHARE,
  planFailureType,
} from '../../src/store/sqlite/dead-letter-failure-type.js';
import { buildWhere } from '../../src/store/sqlite/dead-letter-filter.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { expectListing } from '../support/dead-letter-listing.js';
import { planOf, recordStatements } from '../support/sqlite-plans.js';

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
  const db = new Database(':memory:');
  const ran = recordStatements(db);
  const store = new SqliteStore({ database: db });
  try {
    await store.insertDeadLetters({ deadLetters: Array.from({ length: 200 }, (_, i) => entry(i)), now: T0 });
    for (const params of [
      { failureType: 'timeout', limit: 25 },
      { failureType: 'timeout', order: 'oldest' as const, limit: 25 },
      { failureType: 'timeout', statuses: ['pending' as const], from: T0, to: T0 + 10, limit: 25 },
    ]) {
      ran.clear();
      await store.listDeadLetters(params);
      const page = [...ran].find((sql) => /\bLIMIT \? OFFSET \?/.test(sql));
      const plan = planOf(db, page!);
      expect(
        plan.filter((d) => /TEMP B-TREE|^SCAN redrive_dead_letters\b/.test(d)),
        plan.join('\n'),
      ).toEqual([]);
      // Four groups hold the type: four searches of the fingerprint index, merged.
      expect(
        plan.filter((d) => d.includes('redrive_dead_letters_fingerprint_time')),
        plan.join('\n'),
      ).toHaveLength(4);
      expect(
        plan.some((d) => /MERGE/.test(d)),
        plan.join('\n'),
      ).toBe(true);
    }
    // A type spread over more groups is read through the same index too.
    ran.clear();
    await store.listDeadLetters({ failureType: 'permanent', limit: 25 });
    const page = [...ran].find((sql) => /\bLIMIT \? OFFSET \?/.test(sql));
    expect(planOf(db, page!).filter((d) => /^SCAN redrive_dead_letters\b/.test(d))).toEqual([]);
  } finally {
    await store.close();
  }
});

it('examines a type rare inside large groups and overall by a bounded scan, and finds every entry by continuing', async () => {
  const store = new SqliteStore({ database: new Database(':memory:'), scanBudget: 50 });
  try {
    const rare = new Set([17, 90, 181]);
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: 203 }, (_, i) =>
        standaloneDeadLetter(`dl-${i}`, T0 + i, {
          fingerprint: `fp-${i % 2}`,
          failureType: rare.has(i) ? 'VALIDATION' : 'PG_TIMEOUT',
        }),
      ),
      now: T0,
    });
    const first = await store.listDeadLetters({ failureType: 'VALIDATION', limit: 20 });
    expect(first.scan).toEqual({ examined: 50, budget: 50, complete: false });
    expect(first.items.map((d) => d.id)).toEqual(['dl-181']);
    const found: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeadLetters({ failureType: 'VALIDATION', limit: 20, cursor });
      found.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(found).toEqual(['dl-181', 'dl-90', 'dl-17']);
  } finally {
    await store.close();
  }
});

describe('planning a failure type from the counters', () => {
  const filter = { failureType: 'timeout' };
  const BUDGET = 1000;
  const groups = (n: number, entries: number, typed: number) =>
    Array.from({ length: n }, (_, i) => ({ fingerprint: `fp-${i}`, entries, typed }));
  /** A reader answering the groups query, then the count of entries in scope. */
  const counters = (rows: ReturnType<typeof groups>, inScope = 1_000_000) => {
    const answers: unknown[][] = [rows, [{ n: inScope }]];
    return () => answers.shift() ?? expect.unreachable('a third counter read');
  };
  const plan = (read: () => unknown[]) => planFailureType(filter, {}, BUDGET, read);

  it('merges up to FAILURE_TYPE_ARMS groups when the type is common inside them', () => {
    const planned = plan(counters(groups(FAILURE_TYPE_ARMS, 100_000, 100_000 / FAILURE_TYPE_SHARE)));
    expect(planned.arms).toHaveLength(FAILURE_TYPE_ARMS);
    expect(planned.arms![0]).toEqual({ condition: 'fingerprint = ?', args: ['fp-0'] });
    expect(planned.residual).toBeNull();
  });

  it('merges few small groups whatever the share', () => {
    expect(plan(counters(groups(3, 100, 1))).arms).toHaveLength(3);
  });

  it('reads more groups through the fingerprint index while they hold at most the scan budget', () => {
    const many = FAILURE_TYPE_ARMS + 1;
    const planned = plan(counters(groups(many, Math.floor(BUDGET / many), 1)));
    expect(planned.arms).toBeNull();
    expect(planned.clause).toContain('fingerprint IN (');
    expect(planned.args).toEqual(['timeout', ...groups(many, 0, 0).map((g) => g.fingerprint)]);
  });

  it('reads a type common among the entries in time order', () => {
    const planned = plan(
      counters(groups(FAILURE_TYPE_ARMS + 1, BUDGET, 1), (FAILURE_TYPE_ARMS + 1) * FAILURE_TYPE_SHARE),
    );
    expect(planned).toEqual(buildWhere(filter));
  });

  it('examines a type rare inside large groups and overall by a bounded scan', () => {
    const planned = plan(counters(groups(2, 100_000, 10)));
    expect(planned.residual).toEqual({ clause: 'WHERE 1 AND failure_type = ?', args: ['timeout'] });
    expect(planned.clause).toBe('');
    expect(planned.arms).toBeNull();
    expect(planned.byFailureType).toBe(false);
  });

  it('leaves a failure type alone when another indexed column selects the entries', () => {
    const other = { failureType: 'timeout', fingerprint: 'fp-1' };
    expect(planFailureType(other, {}, BUDGET, () => expect.unreachable('no counter read'))).toEqual(
      buildWhere(other),
    );
  });
});
