/**
 * The SQLite schema. Applied idempotently on open; the `redrive_schema` table records its version
 * (see schema-version.ts) so later versions can migrate.
 *
 * Indexes are partial so that each hot query seeks a small index: claiming reads only `waiting`
 * rows in claim order, promotion reads only `scheduled` rows by due time, recovery reads only
 * `active` rows by lease expiry. Completed rows leave every hot index, so the claim path does not
 * slow down as history grows.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS redrive_jobs (
  id                INTEGER PRIMARY KEY,
  queue             TEXT    NOT NULL,
  name              TEXT    NOT NULL,
  payload           TEXT    NOT NULL,
  state             TEXT    NOT NULL,
  priority          INTEGER NOT NULL,
  attempts_made     INTEGER NOT NULL DEFAULT 0,
  max_attempts      INTEGER NOT NULL,
  orphan_count      INTEGER NOT NULL DEFAULT 0,
  rate_limit_delays INTEGER NOT NULL DEFAULT 0,
  run_at            INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER,
  lease_expires_at  INTEGER,
  claim_token       TEXT,
  worker_id         TEXT,
  timeout_ms        INTEGER,
  backoff           TEXT,
  idempotency_key   TEXT,
  result            TEXT,
  attempts          TEXT,
  dead_letter_id    TEXT,
  replay_of         TEXT,
  suspect           INTEGER NOT NULL DEFAULT 0,
  start_seq         INTEGER,
  quarantined       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS redrive_jobs_claim ON redrive_jobs (queue, priority DESC, run_at, id) WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS redrive_jobs_scheduled ON redrive_jobs (queue, run_at) WHERE state = 'scheduled';
CREATE INDEX IF NOT EXISTS redrive_jobs_lease ON redrive_jobs (lease_expires_at) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS redrive_jobs_completed ON redrive_jobs (queue, finished_at) WHERE state = 'completed';
CREATE INDEX IF NOT EXISTS redrive_jobs_dead_lettered ON redrive_jobs (queue, finished_at) WHERE state = 'dead_lettered';
CREATE UNIQUE INDEX IF NOT EXISTS redrive_jobs_idempotency ON redrive_jobs (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS redrive_queues (
  name   TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS redrive_dead_letters (
  id                 TEXT PRIMARY KEY,
  queue              TEXT,
  job_id             TEXT,
  job_name           TEXT,
  domain             TEXT    NOT NULL,
  failure_type       TEXT    NOT NULL,
  entity_type        TEXT,
  entity_id          TEXT,
  user_id            TEXT,
  error_class        TEXT,
  error_code         TEXT,
  error_message      TEXT    NOT NULL,
  error_stack        TEXT,
  fingerprint        TEXT    NOT NULL,
  fingerprint_version INTEGER NOT NULL DEFAULT 1,
  payload            TEXT,
  attempts           TEXT    NOT NULL,
  snapshot           TEXT,
  request_data       TEXT,
  response_data      TEXT,
  metadata           TEXT    NOT NULL,
  next_action_hint   TEXT,
  recommended_action TEXT,
  worker_id          TEXT,
  handler_version    TEXT,
  status             TEXT    NOT NULL,
  generation         INTEGER NOT NULL DEFAULT 1,
  replay_count       INTEGER NOT NULL DEFAULT 0,
  max_replays        INTEGER NOT NULL,
  first_failed_at    INTEGER NOT NULL,
  dead_lettered_at   INTEGER NOT NULL,
  expires_at         INTEGER,
  resolved_at        INTEGER,
  resolved_by        TEXT,
  resolution_note    TEXT,
  archived_at        INTEGER,
  updated_at         INTEGER NOT NULL,
  replay_of          TEXT,
  replay_started_at  INTEGER,
  last_replay_at     INTEGER,
  last_replay_error  TEXT,
  replay_job_id      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS redrive_dead_letters_job ON redrive_dead_letters (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_recent ON redrive_dead_letters (dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_status ON redrive_dead_letters (status, dead_lettered_at DESC);
`;

/**
 * Job columns added after the first schema (orphan attribution), applied like
 * {@link DEAD_LETTER_ADDED_COLUMNS}:
 * - `suspect`: orphaned while running; claimed only alone, in quarantine, until it finishes;
 * - `start_seq`: the claimed job's start sequence number (compared with its worker's horizon);
 * - `quarantined`: the current claim runs the job alone, in quarantine.
 */
export const JOB_ADDED_COLUMNS: readonly [name: string, type: string][] = [
  ['suspect', 'INTEGER NOT NULL DEFAULT 0'],
  ['start_seq', 'INTEGER'],
  ['quarantined', 'INTEGER NOT NULL DEFAULT 0'],
];

/**
 * Applied after {@link JOB_ADDED_COLUMNS}: waiting suspects in claim order (a partial index that
 * is empty unless a worker died), and each worker's start horizon.
 */
export const ORPHAN_SCHEMA_SQL = `
CREATE INDEX IF NOT EXISTS redrive_jobs_suspects ON redrive_jobs (queue, priority DESC, run_at, id)
  WHERE state = 'waiting' AND suspect = 1;
CREATE TABLE IF NOT EXISTS redrive_workers (
  worker_id     TEXT PRIMARY KEY,
  start_horizon INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Dead-letter columns added after the first schema, with their types. Databases created before
 * them get them by `ALTER TABLE ... ADD COLUMN` on open (additive: nothing is rewritten or dropped).
 */
export const DEAD_LETTER_ADDED_COLUMNS: readonly [name: string, type: string][] = [
  ['replay_of', 'TEXT'],
  ['replay_started_at', 'INTEGER'],
  ['last_replay_at', 'INTEGER'],
  ['last_replay_error', 'TEXT'],
  ['replay_job_id', 'TEXT'],
  // Records from before versioned fingerprints were grouped by version 1.
  ['fingerprint_version', 'INTEGER NOT NULL DEFAULT 1'],
];

/**
 * The dead-letter queue's own tables, indexes and triggers, applied after the added columns exist.
 *
 * - `redrive_dead_letter_counts` keeps a row count per (domain, status), in the same transaction as
 *   every change: inserts add their counts once per batch (in code: a trigger per row costs a fifth
 *   of the insert), status changes and deletes through triggers. Facets and the usual list totals
 *   read a few rows instead of counting millions.
 * - Indexes that only closed entries need are partial, so inserting a `pending` entry skips them;
 *   `(domain, status)` is covered by `(domain, status, dead_lettered_at)`.
 * - `redrive_dead_letter_audit` is the operator audit trail (who, when, why, before/after).
 * - `redrive_dead_letter_tally` holds durable counters (entries ever purged).
 */
export const DEAD_LETTER_SCHEMA_SQL = `
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

/** The counts table; created (and filled from existing rows) once, before the triggers. */
export const DEAD_LETTER_COUNTS_SQL = `
CREATE TABLE redrive_dead_letter_counts (
  domain TEXT    NOT NULL,
  status TEXT    NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (domain, status)
) WITHOUT ROWID;
INSERT INTO redrive_dead_letter_counts (domain, status, n)
  SELECT domain, status, COUNT(*) FROM redrive_dead_letters GROUP BY domain, status;
`;

/**
 * Per-fingerprint counters, kept in the same transaction as every dead-letter change: a row count
 * per (fingerprint, status, domain, queue, failure type) cell — inserts add theirs once per batch in
 * code, status/domain/fingerprint changes and deletes through triggers — and each fingerprint's
 * identity (class, normalized message, first in-app frame), first and last sighting and latest
 * entry. Top failures sum a few cells instead of grouping millions of rows; the filters a group
 * count can honour are exactly the cell's columns. `queue` is '' for entries without one.
 */
export const DEAD_LETTER_GROUPS_SQL = `
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

/**
 * Error-text search: an FTS5 trigram index over `error_message` (external content: the text is
 * stored once, in the table). `LIKE '%text%'` on it reads the index for any text of three
 * characters or more, case-insensitively for ASCII, and checks each candidate against the text.
 * Kept by triggers; created (and built from existing rows) once.
 */
export const DEAD_LETTER_TEXT_SQL = `
CREATE VIRTUAL TABLE redrive_dead_letter_text USING fts5(
  error_message, content = 'redrive_dead_letters', content_rowid = 'rowid', tokenize = 'trigram', detail = 'none'
);
INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text) VALUES ('rebuild');
`;

/** Triggers and indexes of the counters and the text index (idempotent, applied on every open). */
export const DEAD_LETTER_SEARCH_SQL = `
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_insert AFTER INSERT ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (rowid, error_message) VALUES (NEW.rowid, NEW.error_message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_delete AFTER DELETE ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text, rowid, error_message)
    VALUES ('delete', OLD.rowid, OLD.error_message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_update AFTER UPDATE OF error_message ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text, rowid, error_message)
    VALUES ('delete', OLD.rowid, OLD.error_message);
  INSERT INTO redrive_dead_letter_text (rowid, error_message) VALUES (NEW.rowid, NEW.error_message);
END;
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
CREATE INDEX IF NOT EXISTS redrive_dead_letters_queue_time ON redrive_dead_letters (queue, dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_entity_time ON redrive_dead_letters (entity_id, dead_lettered_at DESC)
  WHERE entity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_failure_type_time ON redrive_dead_letters (failure_type, dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_fingerprint_time ON redrive_dead_letters (fingerprint, dead_lettered_at DESC);
DROP INDEX IF EXISTS redrive_dead_letters_fingerprint;
DROP INDEX IF EXISTS redrive_dead_letters_queue;
`;
