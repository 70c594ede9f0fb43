/**
 * `redrive dlq replay`: replays dead letters. With ids, those entries (replay-entries.ts); without,
 * a batch: replayable entries (pending, budget left, not replayed in the last minute) chosen by the
 * filters, oldest first, in batches, with a progress bar and a dry run. A batch needs a selection
 * (a filter, `--limit` or `--all-matching`): an id list that came out empty in a script must not
 * quietly become "replay whatever is oldest".
 */
import type { Command } from 'commander';
import type { BatchReplayResult } from '../../../dlq/replay-runner.js';
import { UsageError } from '../../cli-error.js';
import {
  actorName,
  cliDeadLetterQueue,
  loadReplayHandlers,
  nonNegativeInt,
  positiveInt,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { formatTable, printJson, wrap } from '../../format.js';
import { startProgress } from '../../progress.js';
import { type DlqReplayEntriesOptions, replayEntries } from './replay-entries.js';

interface DlqReplayOptions extends DlqReplayEntriesOptions {
  domain?: string;
  queue?: string;
  failureType?: string;
  limit?: number;
  batchSize?: number;
  actor?: string;
  handlers?: string;
  dryRun?: boolean;
  allMatching?: boolean;
}

/** The options that choose a batch, and their flags: they do not apply to named ids. */
const BATCH_FLAGS = {
  domain: '--domain',
  queue: '--queue',
  failureType: '--failure-type',
  limit: '--limit',
  batchSize: '--batch-size',
  allMatching: '--all-matching',
} as const;

export function registerDlqReplay(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('replay')
      .description(
        'replay dead letters through their replay handlers: the ids given, or a batch of replayable ones (oldest first)',
      )
      .argument('[id...]', 'dead-letter ids (none: a batch chosen by the filters below)')
      .option('--domain <domain>', 'only this domain')
      .option('--queue <queue>', 'only dead letters of this queue')
      .option('--failure-type <type>', 'only this failure type')
      .option('--limit <n>', 'at most this many entries (default 100)', positiveInt(1_000_000))
      .option(
        '--generation <n>',
        'with one id: refuse unless the entry is still at this generation',
        nonNegativeInt,
      )
      .option('--batch-size <n>', 'entries per batch (default 50)', positiveInt(1000))
      .option(
        '--all-matching',
        'without ids or filters: every replayable entry (at most --limit, default 100)',
      )
      .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
      .option('--handlers <module>', 'a module exporting a ReplayRegistry with your replay handlers')
      .option('--dry-run', 'count what would be replayed; change nothing'),
  )
    .addHelpText(
      'after',
      `
Dead letters of queue jobs need no handler: the job is enqueued again. Others need a handler for
their domain (--handlers ./replay-handlers.js exporting a ReplayRegistry). Each replay counts
against the entry's replay budget. Exit code 1 if any replay failed.

Examples:
  redrive dlq replay dl_0mww7qsa4bbd40eccf0c3
  redrive dlq replay dl_a dl_b --actor alice --json
  redrive dlq replay dl_a --generation 3 --handlers ./replay-handlers.js
  redrive dlq replay --queue emails --dry-run
  redrive dlq replay --domain payment --limit 1000 --handlers ./replay-handlers.js
  redrive dlq replay --failure-type retries_exhausted --json
  redrive dlq replay --all-matching --limit 500`,
    )
    .action(async (ids: string[], options: DlqReplayOptions) => {
      if (ids.length > 0) {
        const given = Object.entries(BATCH_FLAGS)
          .filter(([name]) => options[name as keyof typeof BATCH_FLAGS] !== undefined)
          .map(([, flag]) => flag);
        if (given.length > 0) throw new UsageError(`ids and batch filters do not mix (${given.join(', ')})`);
        await replayEntries(ids, options);
        return;
      }
      if (options.generation !== undefined) throw new UsageError('--generation applies to one id');
      const chosen = Object.keys(BATCH_FLAGS).some(
        (name) => name !== 'batchSize' && options[name as keyof typeof BATCH_FLAGS] !== undefined,
      );
      if (!chosen && !options.dryRun) {
        throw new UsageError(
          'give dead-letter ids, or choose a batch with --queue, --domain, --failure-type or --limit (--all-matching: every replayable entry, at most --limit)',
        );
      }
      const registry = await loadReplayHandlers(options.handlers);
      const limit = options.limit ?? 100;
      const batchSize = Math.min(options.batchSize ?? 50, limit);
      const selection = {
        ...(options.domain !== undefined ? { domain: options.domain } : {}),
        ...(options.queue !== undefined ? { queue: options.queue } : {}),
        ...(options.failureType !== undefined ? { failureType: options.failureType } : {}),
      };
      const total: BatchReplayResult = {
        total: 0,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        earlyStopReason: null,
        dryRun: options.dryRun === true,
        errors: [],
      };
      await withStore(options, async (store) => {
        const dlq = cliDeadLetterQueue(store, registry);
        const dry = await dlq.replay({ ...selection, batchSize: 100, maxEntries: limit, dryRun: true });
        if (options.dryRun) {
          Object.assign(total, dry);
          return;
        }
        const bar = startProgress('replaying', dry.succeeded, options);
        const off = dlq.on('dead_letter.replayed', () => bar.increment());
        try {
          Object.assign(
            total,
            await dlq.replay({ ...selection, batchSize, maxEntries: limit, actor: actorName(options.actor) }),
          );
        } finally {
          off();
          bar.stop();
        }
      });
      if (options.json) printJson(total);
      else {
        const verb = total.dryRun ? 'would replay' : 'replayed';
        process.stdout.write(
          `${verb} ${total.succeeded} of ${total.total} dead letter(s); ${total.failed} failed, ${total.skipped} skipped${total.earlyStopReason ? ` (stopped early: ${total.earlyStopReason})` : ''}\n`,
        );
        if (total.errors.length > 0) {
          process.stdout.write(
            `${formatTable(
              ['ID', 'ERROR'],
              total.errors.slice(0, 50).map((e) => [e.id, wrap(e.error, 100)]),
            )}\n`,
          );
        }
      }
      if (total.failed > 0) process.exitCode = 1;
    });
}
