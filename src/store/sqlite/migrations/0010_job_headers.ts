/**
 * Job headers: string headers (trace context) carried from enqueue to every attempt, as JSON text;
 * NULL for a job without any, so jobs without headers cost nothing more.
 */
import { addMissingColumns, type SqliteMigration } from './migration.js';

/** Migration 10. */
export const jobHeaders: SqliteMigration = {
  version: 10,
  name: '0010_job_headers',
  up: (db) => addMissingColumns(db, 'redrive_jobs', [['headers', 'TEXT']]),
};
