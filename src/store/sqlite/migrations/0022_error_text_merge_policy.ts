/**
 * The error-text index merges its segments in larger groups. FTS5 writes a segment each time
 * messages are indexed (a batch of about 2,000, see dead-letter-messages.ts) and, by default,
 * merges four segments of a level into one of the next level as soon as they exist
 * (`automerge = 4`), so each message is written again at every level: at a million messages about
 * five times over. Those rewrites were about a quarter of SQLite's part of storing a dead letter
 * whose message is new (some 26 000 instructions per record, in steps of tens of millions at the
 * commits that ran them; docs/dead-letters-at-scale-measurements.md). Merging sixteen at a time
 * ({@link AUTOMERGE}) writes each message about half as often; {@link CRISIS_MERGE} (FTS5's bound on
 * the segments of one level, merged at once when reached) is raised above it, or it would merge
 * every sixteen segments at once instead of step by step.
 *
 * A search reads more segments (up to about sixteen per level instead of four): the same matches,
 * each segment one more b-tree lookup per trigram. Nothing is rewritten now: the settings are rows
 * of the index's own configuration table, and the segments merge the new way from the next write.
 * A process of the previous release that is still running reads the same configuration.
 */
import type { SqliteMigration } from './migration.js';

/** Segments of one level FTS5 merges into one of the next level. */
export const AUTOMERGE = 16;
/** Segments of one level at which FTS5 merges them at once (above {@link AUTOMERGE}). */
export const CRISIS_MERGE = 64;

const SQL = `
INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text, rank) VALUES ('automerge', ${AUTOMERGE});
INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text, rank) VALUES ('crisismerge', ${CRISIS_MERGE});
`;

/** Migration 22. */
export const errorTextMergePolicy: SqliteMigration = {
  version: 22,
  name: '0022_error_text_merge_policy',
  up: (db) => db.exec(SQL),
};
