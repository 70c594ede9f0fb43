/**
 * `redrive dlq replay <id...>`: replays the named dead letters through their replay handlers (dead
 * letters of queue jobs re-enqueue the job by default), each checked against its replay budget and,
 * with `--generation`, its generation. Exit code 1 if any entry failed.
 */
import { UsageError } from '../../cli-error.js';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  loadReplayHandlers,
  withStore,
} from '../../common.js';
import { perEntry, reportOutcomes } from './entry-outcomes.js';

/** Options of a replay of named entries. */
export interface DlqReplayEntriesOptions extends CommonOptions {
  generation?: number;
  actor?: string;
  handlers?: string;
  dryRun?: boolean;
}

/** Replays `ids`, one at a time, and reports each outcome. */
export async function replayEntries(ids: readonly string[], options: DlqReplayEntriesOptions): Promise<void> {
  if (options.generation !== undefined && ids.length > 1) {
    throw new UsageError('--generation applies to one id only');
  }
  const registry = await loadReplayHandlers(options.handlers);
  const outcomes = await withStore(options, (store) => {
    const dlq = cliDeadLetterQueue(store, registry);
    return perEntry(ids, (id) =>
      dlq.replayOne(id, {
        actor: actorName(options.actor),
        ...(options.generation !== undefined ? { expectedGeneration: options.generation } : {}),
        ...(options.dryRun ? { dryRun: true } : {}),
      }),
    );
  });
  reportOutcomes(outcomes, options.json);
}
