/**
 * `redrive dlq purge`: deletes archived dead letters older than N days (optionally expiring and
 * archiving first). Only archived entries are ever deleted.
 */
import type { Command } from 'commander';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  nonNegativeNumber,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { printJson } from '../../format.js';

interface DlqPurgeOptions extends CommonOptions {
  olderThan: number;
  cleanup?: boolean;
  dryRun?: boolean;
  actor?: string;
}

export function registerDlqPurge(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('purge')
      .description('delete archived dead letters older than N days (only archived entries are deleted)')
      .requiredOption('--older-than <days>', 'archived more than this many days ago', nonNegativeNumber)
      .option(
        '--cleanup',
        'first expire open entries past their TTL and archive resolved/expired ones older than N days',
      )
      .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
      .option('--dry-run', 'count what would be deleted; change nothing'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq purge --older-than 30
  redrive dlq purge --older-than 30 --cleanup --json
  redrive dlq purge --older-than 90 --dry-run`,
    )
    .action(async (options: DlqPurgeOptions) => {
      const report = await withStore(options, async (store) => {
        const dlq = cliDeadLetterQueue(store);
        let cleanup: { expired: number; archived: number } | null = null;
        if (options.cleanup && !options.dryRun) cleanup = await dlq.cleanup({ daysOld: options.olderThan });
        const purged = options.dryRun
          ? await dlq.countArchivedOlderThan(options.olderThan)
          : await dlq.purgeArchived({ olderThanDays: options.olderThan, actor: actorName(options.actor) });
        return { purged, cleanup, dryRun: options.dryRun === true, olderThanDays: options.olderThan };
      });
      if (options.json) {
        printJson(report);
        return;
      }
      if (report.cleanup) {
        process.stdout.write(`expired ${report.cleanup.expired}, archived ${report.cleanup.archived}\n`);
      }
      process.stdout.write(
        `${report.dryRun ? 'would purge' : 'purged'} ${report.purged} archived dead letter(s) older than ${report.olderThanDays} day(s)\n`,
      );
    });
}
