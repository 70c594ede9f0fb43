/**
 * `redrive list`: jobs of a queue (or all queues), optionally in some states, in id order, one
 * page at a time (`--after` continues).
 */
import type { Command } from 'commander';
import { JOB_STATES, type Job, type JobState } from '../../core/job.js';
import { UsageError } from '../cli-error.js';
import { type CommonOptions, positiveInt, withCommonOptions, withStore } from '../common.js';
import { formatTable, formatTime, printJson, wrap } from '../format.js';

interface ListOptions extends CommonOptions {
  state?: string;
  limit?: number;
  after?: string;
}

/** Parses `--state waiting,scheduled`. */
export function parseStates(value: string | undefined): JobState[] | undefined {
  if (value === undefined) return undefined;
  const states = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of states) {
    if (!JOB_STATES.includes(s as JobState)) {
      throw new UsageError(`unknown state '${s}' (expected ${JOB_STATES.join(', ')})`);
    }
  }
  return states as JobState[];
}

function lastError(job: Job): string {
  return job.attempts.at(-1)?.message ?? '';
}

export function registerList(program: Command): void {
  withCommonOptions(
    program
      .command('list')
      .description('list jobs (id order), filtered by queue and state')
      .argument('[queue]', 'only this queue')
      .option('--state <states>', `comma-separated states: ${JOB_STATES.join(', ')}`)
      .option('--limit <n>', 'jobs per page (default 50, at most 1000)', positiveInt(1000))
      .option('--after <id>', 'continue after this job id (the previous page’s nextAfterId)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive list emails
  redrive list --state dead_lettered --limit 20
  redrive list emails --state waiting,scheduled --json
  redrive list emails --after 1050`,
    )
    .action(async (queue: string | undefined, options: ListOptions) => {
      const states = parseStates(options.state);
      const limit = options.limit ?? 50;
      const items = await withStore(options, (store) =>
        store.listJobs({
          limit,
          ...(queue !== undefined ? { queue } : {}),
          ...(states ? { states } : {}),
          ...(options.after !== undefined ? { afterId: options.after } : {}),
        }),
      );
      const nextAfterId = items.length === limit ? items[items.length - 1]!.id : null;
      if (options.json) {
        printJson({ items, nextAfterId });
        return;
      }
      if (items.length === 0) {
        process.stdout.write('no jobs\n');
        return;
      }
      const rows = items.map((j) => [
        j.id,
        j.queue,
        j.name,
        j.state,
        `${j.attemptsMade}/${j.maxAttempts}`,
        formatTime(j.createdAt),
        j.state === 'scheduled' || j.state === 'waiting' ? formatTime(j.runAt) : formatTime(j.finishedAt),
        wrap(lastError(j), 60),
      ]);
      process.stdout.write(
        `${formatTable(['ID', 'QUEUE', 'NAME', 'STATE', 'ATTEMPTS', 'CREATED', 'RUN AT / FINISHED', 'LAST ERROR'], rows)}\n`,
      );
      if (nextAfterId !== null) process.stdout.write(`more: add --after ${nextAfterId}\n`);
    });
}
