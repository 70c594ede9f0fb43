/**
 * The SQLite store's migrations, in order. A new migration is a new file `NNNN_name.ts` (the next
 * number) added at the end of this list; migrate.ts applies the ones a database lacks.
 */
import { initial } from './0001_initial.js';
import { orphanAttribution } from './0002_orphan_attribution.js';
import { deadLetterReplayColumns } from './0003_dead_letter_replay_columns.js';
import { deadLetterCountsAndAudit } from './0004_dead_letter_counts_and_audit.js';
import { failureGroups } from './0005_failure_groups.js';
import { errorTextSearch } from './0006_error_text_search.js';
import { deadLetterReadIndexes } from './0007_dead_letter_read_indexes.js';
import { leadership } from './0008_leadership.js';
import { errorTextPerMessage } from './0009_error_text_per_message.js';
import { jobHeaders } from './0010_job_headers.js';
import { jobEvents } from './0011_job_events.js';
import { deadLetterStacks } from './0012_dead_letter_stacks.js';
import { jobAttemptStacks } from './0013_job_attempt_stacks.js';
import { errorTextQueue } from './0014_error_text_queue.js';
import { deadLetterDomainIndex } from './0015_dead_letter_domain_index.js';
import { errorTextWithoutSizes } from './0016_error_text_without_sizes.js';
import { deadLetterQueueIndex } from './0017_dead_letter_queue_index.js';
import { deadLetterFailureTypeIndex } from './0018_dead_letter_failure_type_index.js';
import { jobStackFrames } from './0019_job_stack_frames.js';
import { deadLetterFailureTypeIndexAgain } from './0020_dead_letter_failure_type_index_again.js';
import { errorTextMarker } from './0021_error_text_marker.js';
import { errorTextMergePolicy } from './0022_error_text_merge_policy.js';
import type { SqliteMigration } from './migration.js';

/** Every migration, in version order (versions 1, 2, 3, ...). */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  initial,
  orphanAttribution,
  deadLetterReplayColumns,
  deadLetterCountsAndAudit,
  failureGroups,
  errorTextSearch,
  deadLetterReadIndexes,
  leadership,
  errorTextPerMessage,
  jobHeaders,
  jobEvents,
  deadLetterStacks,
  jobAttemptStacks,
  errorTextQueue,
  deadLetterDomainIndex,
  errorTextWithoutSizes,
  deadLetterQueueIndex,
  deadLetterFailureTypeIndex,
  jobStackFrames,
  deadLetterFailureTypeIndexAgain,
  errorTextMarker,
  errorTextMergePolicy,
];
