/**
 * `redrive purge`: deletes jobs of some states (never `active` ones), optionally only those older
 * than an age, in bounded batches.
 */
import type { Command } from 'commander';
import { JOB_STATES, type JobState } from '../../core/job.js';
import { UsageError } from '../cli-error.js';
import { type CommonOptions, duration, withCommonOptions, withStore } from '../common.js';
import { formatAge, printJson } from '../format.js';
import { startProgress } from '../progress.js';
import { parseStates } from './list.js';

interface PurgeOptions extends CommonOptions {
  state?: string;
  olderThan?: number;
}

/** Jobs deleted per statement. */
const BATCH = 5000;

type RemovableState = Exclude<JobState, 'active'>;

export function registerPurge(program: Command): void {
  withCommonOptions(
    program
      .command('purge')
      .description('delete jobs in some states (never active ones), optionally only older ones')
      .argument('[queue]', 'only this queue (default: every queue)')
      .requiredOption(
        '--state <states>',
        `comma-separated states to delete: ${JOB_STATES.filter((s) => s !== 'active').join(', ')}`,
      )
      .option(
        '--older-than <age>',
        'only jobs finished (or, if not finished, created) longer ago, e.g. 7d',
        duration,
      ),
  )
    .addHelpText(
      'after',
      `
Dead letters are kept: purging dead_lettered jobs removes the job rows only (see redrive dlq purge).

Examples:
  redrive purge emails --state completed --older-than 7d
  redrive purge --state completed,dead_lettered --older-than 30d --json
  redrive purge imports --state waiting,scheduled`,
    )
    .action(async (queue: string | undefined, options: PurgeOptions) => {
      const states = parseStates(options.state) ?? [];
      if (states.length === 0) throw new UsageError('--state names no state');
      if (states.includes('active')) throw new UsageError('active jobs cannot be purged (they are running)');
      const removable = states as RemovableState[];
      const before = options.olderThan === undefined ? undefined : Date.now() - options.olderThan;
      const removed = await withStore(options, async (store) => {
        const counts = await store.countJobs(queue === undefined ? {} : { queue });
        const bar = startProgress(
          'purging',
          removable.reduce((n, s) => n + counts[s], 0),
          options,
        );
        let total = 0;
        try {
          for (;;) {
            const n = await store.removeJobs({
              states: removable,
              limit: BATCH,
              ...(queue !== undefined ? { queue } : {}),
              ...(before !== undefined ? { before } : {}),
            });
            total += n;
            bar.update(total);
            if (n < BATCH) break;
          }
        } finally {
          bar.stop();
        }
        return total;
      });
      if (options.json) {
        printJson({
          queue: queue ?? null,
          states: removable,
          olderThanMs: options.olderThan ?? null,
          removed,
        });
        return;
      }
      const age = options.olderThan === undefined ? '' : ` older than ${formatAge(options.olderThan)}`;
      process.stdout.write(
        `removed ${removed} ${removable.join('/')} job(s)${age} from ${queue ?? 'every queue'}\n`,
      );
    });
}
