/**
 * Per-fingerprint counters, kept in the same transaction as every dead-letter change: a row count
 * per (fingerprint, status, domain, queue, failure type) cell — inserts add theirs once per batch in
 * code, status/domain/fingerprint changes and deletes through triggers — and each fingerprint's
 * identity (class, normalized message, first in-app frame), first and last sighting and latest
 * entry. Top failures sum a few cells instead of grouping millions of rows; the filters a group
 * count can honour are exactly the cell's columns. `queue` is '' for entries without one.
 * The tables are created (and filled from existing rows, see dead-letter-groups.ts) once.
 */
import { createGroupCounters } from '../dead-letter-groups.js';
import type { SqliteMigration } from './migration.js';

const TABLES_SQL = `
CREATE TABLE redrive_dead_letter_groups (
  fingerprint  TEXT    NOT NULL,
  status       TEXT    NOT NULL,
  domain       TEXT    NOT NULL,
  queue        TEXT    NOT NULL,
  failure_type TEXT    NOT NULL,
  n            INTEGER NOT NULL,
  PRIMARY KEY (fingerprint, status, domain, queue, failure_type)
) WITHOUT ROWID;
INSERT INTO redrive_dead_letter_groups (fingerprint, status, domain, queue, failure_type, n)
  SELECT fingerprint, status, domain, COALESCE(queue, ''), failure_type, COUNT(*) FROM redrive_dead_letters
   GROUP BY fingerprint, status, domain, COALESCE(queue, ''), failure_type;
CREATE TABLE redrive_dead_letter_fingerprints (
  fingerprint        TEXT    PRIMARY KEY,
  error_class        TEXT,
  normalized_message TEXT    NOT NULL,
  frame              TEXT,
  first_seen         INTEGER NOT NULL,
  last_seen          INTEGER NOT NULL,
  sample_id          TEXT    NOT NULL
) WITHOUT ROWID;
`;

const TRIGGERS_SQL = `
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_group_delete AFTER DELETE ON redrive_dead_letters BEGIN
  UPDATE redrive_dead_letter_groups SET n = n - 1
   WHERE fingerprint = OLD.fingerprint AND status = OLD.status AND domain = OLD.domain
     AND queue = COALESCE(OLD.queue, '') AND failure_type = OLD.failure_type;
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_group_update
  AFTER UPDATE OF status, domain, fingerprint, queue, failure_type ON redrive_dead_letters
  WHEN OLD.status IS NOT NEW.status OR OLD.domain IS NOT NEW.domain OR OLD.fingerprint IS NOT NEW.fingerprint
    OR OLD.queue IS NOT NEW.queue OR OLD.failure_type IS NOT NEW.failure_type BEGIN
  UPDATE redrive_dead_letter_groups SET n = n - 1
   WHERE fingerprint = OLD.fingerprint AND status = OLD.status AND domain = OLD.domain
     AND queue = COALESCE(OLD.queue, '') AND failure_type = OLD.failure_type;
  INSERT INTO redrive_dead_letter_groups (fingerprint, status, domain, queue, failure_type, n)
    VALUES (NEW.fingerprint, NEW.status, NEW.domain, COALESCE(NEW.queue, ''), NEW.failure_type, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO redrive_dead_letter_fingerprints
      (fingerprint, error_class, normalized_message, frame, first_seen, last_seen, sample_id)
    VALUES (NEW.fingerprint, NEW.error_class, NEW.error_message, NULL, NEW.dead_lettered_at, NEW.dead_lettered_at, NEW.id)
    ON CONFLICT DO NOTHING;
END;
CREATE INDEX IF NOT EXISTS redrive_dead_letter_groups_status ON redrive_dead_letter_groups (status, fingerprint);
`;

/** Migration 5. */
export const failureGroups: SqliteMigration = {
  version: 5,
  name: '0005_failure_groups',
  up(db) {
    createGroupCounters(db, TABLES_SQL);
    db.exec(TRIGGERS_SQL);
  },
};
