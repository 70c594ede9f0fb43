/**
 * `redrive dlq retry <id...>`: the old name of `redrive dlq replay <id...>` (a replay, not a retry:
 * docs/glossary.md), kept for one minor version. Says so on stderr, then replays the entries.
 */
import type { Command } from 'commander';
import { nonNegativeInt, withCommonOptions } from '../../common.js';
import { type DlqReplayEntriesOptions, replayEntries } from './replay-entries.js';

export function registerDlqRetry(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('retry')
      .description('deprecated: the old name of redrive dlq replay <id...>')
      .argument('<id...>', 'dead-letter ids')
      .option(
        '--generation <n>',
        'refuse unless the entry is still at this generation (one id only)',
        nonNegativeInt,
      )
      .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
      .option('--handlers <module>', 'a module exporting a ReplayRegistry with your replay handlers')
      .option('--dry-run', 'check everything, change nothing'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq replay 42
  redrive dlq replay 42 --generation 3 --handlers ./dist/replay-handlers.js
  redrive dlq replay 42 43 44 --dry-run`,
    )
    .action(async (ids: string[], options: DlqReplayEntriesOptions) => {
      process.stderr.write(
        'redrive dlq retry is deprecated: use redrive dlq replay <id...> (it replays; see docs/glossary.md)\n',
      );
      await replayEntries(ids, options);
    });
}
