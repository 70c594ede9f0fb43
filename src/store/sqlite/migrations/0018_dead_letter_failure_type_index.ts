/**
 * Does nothing. It dropped the `(failure_type, dead_lettered_at)` index for a short while before
 * any release (a failure type was then read through its failure groups, see migration 20), and is
 * kept so that version numbers stay the same everywhere.
 */
import type { SqliteMigration } from './migration.js';

/** Migration 18. */
export const deadLetterFailureTypeIndex: SqliteMigration = {
  version: 18,
  name: '0018_dead_letter_failure_type_index',
  up: () => {},
};
