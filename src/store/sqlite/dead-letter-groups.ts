/**
 * The per-fingerprint counters of the SQLite dead-letter store: creating and filling them once,
 * adding each insert batch's counts in the batch's transaction (status changes, regroups and
 * deletes are counted by triggers, see migrations/0005_failure_groups.ts), and answering top failures from them.
 */
import type Database from 'better-sqlite3';
import type { NewDeadLetter } from '../../core/dead-letter.js';
import type { DeadLetterFilter, FailureGroup, TopFailures } from '../dead-letter-store.js';
import { domainSpans, failureIdentity } from '../failure-groups.js';
import type { Statement } from './dead-letter-connection.js';
import { buildWhere } from './dead-letter-filter.js';
import { ERROR_STACK_SQL } from './dead-letter-stacks.js';

/** Creates the counter tables when missing and fills them (with each group's identity) from existing rows. */
export function createGroupCounters(db: Database.Database, groupsSql: string): void {
  const has = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'redrive_dead_letter_groups'")
    .get();
  if (has) return;
  db.exec(groupsSql);
  const latest = db
    .prepare(
      `SELECT fingerprint, MIN(dead_lettered_at) AS first_seen, MAX(rowid) AS latest,
              MAX(dead_lettered_at) AS last_seen
         FROM redrive_dead_letters GROUP BY fingerprint`,
    )
    .all() as { fingerprint: string; first_seen: number; last_seen: number; latest: number }[];
  const row = db.prepare(
    'SELECT id, error_class, error_message, error_stack FROM redrive_dead_letters WHERE rowid = ?',
  );
  const insert = db.prepare(INSERT_FINGERPRINT_SQL);
  for (const group of latest) {
    const entry = row.get(group.latest) as {
      id: string;
      error_class: string | null;
      error_message: string;
      error_stack: string | null;
    };
    const identity = failureIdentity({
      errorClass: entry.error_class,
      errorMessage: entry.error_message,
      errorStack: entry.error_stack,
    });
    insert.run(
      group.fingerprint,
      identity.errorClass,
      identity.normalizedMessage,
      identity.frame,
      group.first_seen,
      group.last_seen,
      entry.id,
    );
  }
}

/** Upserts a fingerprint's identity and sightings (the identity is kept from its first entry). */
export const INSERT_FINGERPRINT_SQL = `INSERT INTO redrive_dead_letter_fingerprints
    (fingerprint, error_class, normalized_message, frame, first_seen, last_seen, sample_id)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (fingerprint) DO UPDATE SET
    first_seen = MIN(first_seen, excluded.first_seen),
    sample_id = CASE WHEN excluded.last_seen >= last_seen THEN excluded.sample_id ELSE sample_id END,
    last_seen = MAX(last_seen, excluded.last_seen)`;

/** Adds `n` to a counter cell. */
export const ADD_GROUP_COUNT_SQL = `INSERT INTO redrive_dead_letter_groups (fingerprint, status, domain, queue, failure_type, n)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`;

/** What the counters need of an inserted entry (its queue comes apart, see {@link GroupTally.add}). */
export type CountedEntry = Pick<
  NewDeadLetter,
  | 'id'
  | 'fingerprint'
  | 'domain'
  | 'failureType'
  | 'deadLetteredAt'
  | 'errorClass'
  | 'errorMessage'
  | 'errorStack'
>;

interface Sighting {
  entry: CountedEntry;
  first: number;
  last: number;
  latestId: string;
}

/** Counts one transaction's inserted entries, then writes them once per cell and fingerprint. */
export class GroupTally {
  private readonly cells = new Map<string, [string, string, string, string, string, number]>();
  private readonly sightings = new Map<string, Sighting>();

  /** Counts an inserted entry, in its queue (null: none) and the status it was inserted in. */
  add(entry: CountedEntry, entryQueue: string | null, status: string): void {
    const queue = entryQueue ?? '';
    const key = `${entry.fingerprint}\u0000${status}\u0000${entry.domain}\u0000${queue}\u0000${entry.failureType}`;
    const cell = this.cells.get(key);
    if (cell) cell[5]++;
    else this.cells.set(key, [entry.fingerprint, status, entry.domain, queue, entry.failureType, 1]);
    const at = entry.deadLetteredAt;
    const seen = this.sightings.get(entry.fingerprint);
    if (!seen) this.sightings.set(entry.fingerprint, { entry, first: at, last: at, latestId: entry.id });
    else {
      seen.first = Math.min(seen.first, at);
      if (at >= seen.last) {
        seen.last = at;
        seen.latestId = entry.id;
      }
    }
  }

  /** Writes the counts (inside the caller's transaction). */
  flush(statements: { addGroupCount: Statement; upsertFingerprint: Statement }): void {
    for (const cell of this.cells.values()) statements.addGroupCount.run(...cell);
    for (const [fingerprint, seen] of this.sightings) {
      const identity = failureIdentity(seen.entry);
      statements.upsertFingerprint.run(
        fingerprint,
        identity.errorClass,
        identity.normalizedMessage,
        identity.frame,
        seen.first,
        seen.last,
        seen.latestId,
      );
    }
    this.cells.clear();
    this.sightings.clear();
  }
}

interface FingerprintRow {
  fingerprint: string;
  error_class: string | null;
  normalized_message: string;
  frame: string | null;
  first_seen: number;
  last_seen: number;
  sample_id: string;
  /** The sample entry's error fields (null when it is gone). */
  s_found: number | null;
  s_class: string | null;
  s_message: string | null;
  s_stack: string | null;
  s_version: number | null;
}

/** Builds failure groups from counts and the fingerprints' identities. */
export function toFailureGroups(
  counts: { fingerprint: string; n: number }[],
  domains: { fingerprint: string; domain: string; n: number }[],
  identities: Map<string, FingerprintRow>,
): FailureGroup[] {
  const byGroup = new Map<string, { domain: string; count: number }[]>();
  for (const d of domains) {
    const list = byGroup.get(d.fingerprint) ?? [];
    list.push({ domain: d.domain, count: d.n });
    byGroup.set(d.fingerprint, list);
  }
  return counts.map(({ fingerprint, n }) => {
    const id = identities.get(fingerprint);
    const spans = domainSpans((byGroup.get(fingerprint) ?? []).map((d) => [d.domain, d.count]));
    return {
      fingerprint,
      count: n,
      firstSeenAt: id?.first_seen ?? 0,
      lastSeenAt: id?.last_seen ?? 0,
      sampleId: id?.sample_id ?? '',
      errorClass: id?.error_class ?? null,
      errorMessage: id?.normalized_message ?? '',
      normalizedMessage: id?.normalized_message ?? '',
      frame: id?.frame ?? null,
      domain: spans[0]?.domain ?? '',
      domains: spans,
      sample: id?.s_found
        ? {
            errorClass: id.s_class,
            errorMessage: id.s_message ?? '',
            errorStack: id.s_stack,
            fingerprintVersion: id.s_version ?? 0,
          }
        : null,
    };
  });
}

/** Most entries one top-failures query groups when the counters cannot answer its filter. */
export const TOP_FAILURES_SCAN_BUDGET = 50_000;

/** Top failures, read from the counters (`source` null) or grouped over a bounded row source. */
export function topFailuresFrom(
  prepared: (sql: string) => Statement,
  filter: DeadLetterFilter,
  limit: number,
  source: { sql: string; args: unknown[]; examined: () => number; budget: number } | null,
): TopFailures {
  let counts: { fingerprint: string; n: number }[];
  let domains: { fingerprint: string; domain: string; n: number }[];
  if (source === null) {
    const where = buildWhere(filter);
    counts = prepared(
      `SELECT g.fingerprint, SUM(g.n) AS n FROM redrive_dead_letter_groups g ${where.clause}
        GROUP BY g.fingerprint HAVING SUM(g.n) > 0 ORDER BY n DESC, g.fingerprint LIMIT ?`,
    ).all(...where.args, limit) as typeof counts;
    if (counts.length === 0) return { groups: [], scan: null };
    const ids = counts.map((c) => c.fingerprint);
    const scoped = buildWhere(filter, {
      extra: [`fingerprint IN (${ids.map(() => '?').join(', ')})`],
      extraArgs: ids,
    });
    domains = prepared(
      `SELECT fingerprint, domain, SUM(n) AS n FROM redrive_dead_letter_groups ${scoped.clause}
        GROUP BY fingerprint, domain HAVING SUM(n) > 0`,
    ).all(...scoped.args) as typeof domains;
  } else {
    counts = prepared(
      `SELECT fingerprint, COUNT(*) AS n FROM (${source.sql}) GROUP BY fingerprint ORDER BY n DESC, fingerprint LIMIT ?`,
    ).all(...source.args, limit) as typeof counts;
    const ids = counts.map((c) => c.fingerprint);
    domains =
      ids.length === 0
        ? []
        : (prepared(
            `SELECT fingerprint, domain, COUNT(*) AS n FROM (${source.sql})
              WHERE fingerprint IN (${ids.map(() => '?').join(', ')}) GROUP BY fingerprint, domain`,
          ).all(...source.args, ...ids) as typeof domains);
  }
  const ids = counts.map((c) => c.fingerprint);
  const identities = new Map(
    (
      prepared(
        `SELECT f.*, d.rowid IS NOT NULL AS s_found, d.error_class AS s_class, d.error_message AS s_message,
                ${ERROR_STACK_SQL} AS s_stack, d.fingerprint_version AS s_version
           FROM redrive_dead_letter_fingerprints f LEFT JOIN redrive_dead_letters d ON d.id = f.sample_id
          WHERE f.fingerprint IN (${ids.map(() => '?').join(', ')})`,
      ).all(...ids) as FingerprintRow[]
    ).map((r) => [r.fingerprint, r]),
  );
  const groups = toFailureGroups(counts, domains, identities);
  if (source === null) return { groups, scan: null };
  const examined = source.examined();
  return { groups, scan: { examined, budget: source.budget, complete: examined < source.budget } };
}
