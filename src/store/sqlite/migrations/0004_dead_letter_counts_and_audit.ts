/**
 * The dead-letter queue's counters, audit trail and the indexes of its maintenance:
 *
 * - `redrive_dead_letter_counts` keeps a row count per (domain, status), in the same transaction as
 *   every change: inserts add their counts once per batch (in code: a trigger per row costs a fifth
 *   of the insert), status changes and deletes through triggers. Facets and the usual list totals
 *   read a few rows instead of counting millions. Created (and filled from existing rows) once.
 * - Indexes that only closed entries need are partial, so inserting a `pending` entry skips them;
 *   `(domain, status)` is covered by `(domain, status, dead_lettered_at)`.
 * - `redrive_dead_letter_audit` is the operator audit trail (who, when, why, before/after).
 * - `redrive_dead_letter_tally` holds durable counters (entries ever purged).
 */
import { hasTable, type SqliteMigration } from './migration.js';

const COUNTS_SQL = `
CREATE TABLE redrive_dead_letter_counts (
  domain TEXT    NOT NULL,
  status TEXT    NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (domain, status)
) WITHOUT ROWID;
INSERT INTO redrive_dead_letter_counts (domain, status, n)
  SELECT domain, status, COUNT(*) FROM redrive_dead_letters GROUP BY domain, status;
`;

const SQL = `
DROP INDEX IF EXISTS redrive_dead_letters_domain;
DROP INDEX IF EXISTS redrive_dead_letters_updated;
DROP INDEX IF EXISTS redrive_dead_letters_expiry;
DROP INDEX IF EXISTS redrive_dead_letters_replaying;
DROP TRIGGER IF EXISTS redrive_dead_letters_count_insert;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_closed ON redrive_dead_letters (status, updated_at)
  WHERE status IN ('resolved', 'expired');
CREATE INDEX IF NOT EXISTS redrive_dead_letters_archived ON redrive_dead_letters (status, updated_at)
  WHERE status = 'archived';
CREATE INDEX IF NOT EXISTS redrive_dead_letters_open_expiry ON redrive_dead_letters (status, expires_at)
  WHERE status IN ('pending', 'requires_review') AND expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_pending_at_cap ON redrive_dead_letters (status)
  WHERE status = 'pending' AND replay_count >= max_replays;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_replay_started ON redrive_dead_letters (status, replay_started_at)
  WHERE status = 'replaying';
CREATE INDEX IF NOT EXISTS redrive_dead_letters_domain_time ON redrive_dead_letters (domain, status, dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_domain_recent ON redrive_dead_letters (domain, dead_lettered_at DESC);

CREATE TABLE IF NOT EXISTS redrive_dead_letter_audit (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  dead_letter_id    TEXT,
  action            TEXT    NOT NULL,
  actor             TEXT    NOT NULL,
  reason            TEXT,
  ticket            TEXT,
  at                INTEGER NOT NULL,
  before_status     TEXT,
  after_status      TEXT,
  before_generation INTEGER,
  after_generation  INTEGER,
  details           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS redrive_dead_letter_audit_entry ON redrive_dead_letter_audit (dead_letter_id, seq);

CREATE TABLE IF NOT EXISTS redrive_dead_letter_tally (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_count_delete AFTER DELETE ON redrive_dead_letters BEGIN
  UPDATE redrive_dead_letter_counts SET n = n - 1 WHERE domain = OLD.domain AND status = OLD.status;
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_count_update AFTER UPDATE OF status, domain ON redrive_dead_letters
  WHEN OLD.status IS NOT NEW.status OR OLD.domain IS NOT NEW.domain BEGIN
  UPDATE redrive_dead_letter_counts SET n = n - 1 WHERE domain = OLD.domain AND status = OLD.status;
  INSERT INTO redrive_dead_letter_counts (domain, status, n) VALUES (NEW.domain, NEW.status, 1)
    ON CONFLICT (domain, status) DO UPDATE SET n = n + 1;
END;
`;

/** Migration 4. */
export const deadLetterCountsAndAudit: SqliteMigration = {
  version: 4,
  name: '0004_dead_letter_counts_and_audit',
  up(db) {
    if (!hasTable(db, 'redrive_dead_letter_counts')) db.exec(COUNTS_SQL);
    db.exec(SQL);
  },
};
