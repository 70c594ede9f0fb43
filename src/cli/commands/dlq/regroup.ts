/**
 * `redrive dlq regroup`: recomputes stored fingerprints with the current grouping algorithm, so
 * entries recorded before an upgrade join the groups new failures land in.
 */
import type { Command } from 'commander';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  positiveInt,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { printJson } from '../../format.js';
import { startProgress } from '../../progress.js';

interface DlqRegroupOptions extends CommonOptions {
  all?: boolean;
  dryRun?: boolean;
  batchSize?: number;
  actor?: string;
}

export function registerDlqRegroup(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('regroup')
      .description(
        'recompute the fingerprints of dead letters recorded by an older grouping algorithm (they move to the groups new failures use)',
      )
      .option('--all', 'recompute every entry, not only those of older algorithm versions')
      .option('--batch-size <n>', 'entries per round trip (default 500)', positiveInt(5000))
      .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
      .option('--dry-run', 'count what would change; change nothing'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq regroup --dry-run
  redrive dlq regroup
  redrive dlq regroup --all --json`,
    )
    .action(async (options: DlqRegroupOptions) => {
      const result = await withStore(options, async (store) => {
        const progress = startProgress('regroup', 0, options);
        try {
          return await cliDeadLetterQueue(store).regroup({
            all: options.all === true,
            dryRun: options.dryRun === true,
            actor: actorName(options.actor),
            ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
            onProgress: (p) => {
              progress.setTotal(p.examined);
              progress.update(p.examined);
            },
          });
        } finally {
          progress.stop();
        }
      });
      if (options.json) {
        printJson(result);
        return;
      }
      process.stdout.write(
        `examined ${result.examined} dead letter(s); ${result.outdated} from an older grouping algorithm; ` +
          `${result.dryRun ? 'would regroup' : 'regrouped'} ${result.changed} (now version ${result.version})\n`,
      );
    });
}
