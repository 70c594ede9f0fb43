/**
 * The first schema: jobs, queues and dead letters.
 *
 * Indexes are partial so that each hot query seeks a small index: claiming reads only `waiting`
 * rows in claim order, promotion reads only `scheduled` rows by due time, recovery reads only
 * `active` rows by lease expiry. Completed rows leave every hot index, so the claim path does not
 * slow down as history grows. The tables carry the columns later migrations add, so a new database
 * gets them at once (those migrations then find nothing to add).
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
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

/** Migration 1. */
export const initial: SqliteMigration = {
  version: 1,
  name: '0001_initial',
  up: (db) => db.exec(SQL),
};
