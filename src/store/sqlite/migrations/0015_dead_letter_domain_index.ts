/**
 * One index fewer for every dead letter written: `(domain, dead_lettered_at)` is dropped. A list
 * filtered by domain alone now reads `(domain, status, dead_lettered_at)` once per status and merges
 * the runs in time order (dead-letter-filter.ts), as fast as the dropped index was. That index was
 * the costliest one to keep: each domain in an insert batch is a separate place in it, so a batch of
 * five domains rewrote about twenty of its pages, a sixth of the pages the batch's commit wrote.
 *
 * A process of the previous release that is still running lists a domain without a status by
 * sorting that domain's entries (correct, but slower at a million entries) until it is upgraded.
 */
import type { SqliteMigration } from './migration.js';

/** Migration 15. */
export const deadLetterDomainIndex: SqliteMigration = {
  version: 15,
  name: '0015_dead_letter_domain_index',
  up: (db) => db.exec('DROP INDEX IF EXISTS redrive_dead_letters_domain_recent'),
};
