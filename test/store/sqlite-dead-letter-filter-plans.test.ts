/**
 * Every filter the dashboard's dead-letter list offers (status, domain, queue, failure type,
 * fingerprint, entity, error-text search, time range, a declared payload path) is read through an
 * index of its own on SQLite: the page and its total search an index, and no statement scans the
 * dead letters or their messages, so each filter's first page costs the same at a million entries
 * as at a hundred.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import type { DeadLetterFilter } from '../../src/store/dead-letter-store.js';
import { planOf, recordStatements, scannedTable } from '../support/sqlite-plans.js';

/** Tables whose size grows with the stored dead letters. */
const GROWING = /\b(redrive_dead_letters|redrive_dead_letter_messages)\b/;

/** Each filter of the dashboard and the index its entries are found through. */
const UI_FILTERS: [string, DeadLetterFilter, RegExp][] = [
  ['status', { statuses: ['pending'] }, /redrive_dead_letters_status/],
  ['domain', { domain: 'email' }, /redrive_dead_letters_domain_/],
  ['domain and status', { domain: 'email', statuses: ['pending'] }, /redrive_dead_letters_domain_/],
  ['queue', { queue: 'emails' }, /redrive_dead_letters_queue_time/],
  ['failure type', { failureType: 'HTTP_5XX' }, /redrive_dead_letters_failure_type_time/],
  ['fingerprint', { fingerprint: 'fp-1' }, /redrive_dead_letters_fingerprint_time/],
  ['entity', { entityId: 'order-7' }, /redrive_dead_letters_entity_time/],
  ['error-text search', { errorText: 'order 4242' }, /redrive_dead_letters_message/],
  ['time range', { from: 1, to: 5 }, /redrive_dead_letters_recent/],
  [
    'declared payload path',
    { json: [{ field: 'payload', path: 'customerId', op: 'eq', value: 42 }] },
    /redrive_dead_letters_path_/,
  ],
];

describe('SQLite dead-letter filter plans', () => {
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('reads every filter the dashboard offers through an index', async () => {
    const db = new Database(':memory:');
    const ran = recordStatements(db);
    store = new SqliteStore({ database: db, indexedPaths: ['payload.customerId'] });
    await store.listDeadLetters({ limit: 1 });
    const problems: string[] = [];
    for (const [name, filter, index] of UI_FILTERS) {
      ran.clear();
      await store.listDeadLetters({ ...filter, limit: 25 });
      const reads = [...ran].filter((sql) => GROWING.test(sql));
      expect(reads.length, name).toBeGreaterThan(0);
      const plans = reads.map((sql) => planOf(db, sql));
      for (const [i, plan] of plans.entries()) {
        for (const detail of plan)
          if (GROWING.test(scannedTable(reads[i]!, detail) ?? '') && !/VIRTUAL TABLE/.test(detail))
            problems.push(`${name}: ${detail} in ${reads[i]!.replace(/\s+/g, ' ')}`);
      }
      const searches = plans.flat().filter((d) => /^SEARCH redrive_dead_letters /.test(d));
      if (!searches.some((d) => index.test(d)))
        problems.push(`${name}: no ${index} in ${searches.join(' / ')}`);
    }
    expect(problems).toEqual([]);
  });
});
