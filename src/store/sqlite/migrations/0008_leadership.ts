/**
 * Leader election: one row (`redrive_leader`, id 1) holds the lease of the process that runs the
 * store's maintenance, with a fencing epoch raised at every change of holder (never lowered, so the
 * row is never deleted; a resignation sets `expires_at` to 0). See sqlite-leadership.ts.
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE TABLE IF NOT EXISTS redrive_leader (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  holder       TEXT    NOT NULL,
  epoch        INTEGER NOT NULL,
  acquired_at  INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  service_runs TEXT    NOT NULL DEFAULT '{}'
);
`;

/** Migration 8. */
export const leadership: SqliteMigration = {
  version: 8,
  name: '0008_leadership',
  up: (db) => db.exec(SQL),
};
