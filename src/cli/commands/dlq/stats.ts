/**
 * `redrive dlq stats`: dead letters by status and domain, the oldest pending one, what is
 * replayable and due for expiry.
 */
import type { Command } from 'commander';
import { DEAD_LETTER_STATUSES } from '../../../core/dead-letter.js';
import { type CommonOptions, cliDeadLetterQueue, withCommonOptions, withStore } from '../../common.js';
import { formatAge, formatFields, formatTable, printJson } from '../../format.js';

export function registerDlqStats(dlq: Command): void {
  withCommonOptions(dlq.command('stats').description('dead-letter counts by status and domain, and ages'))
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq stats
  redrive dlq stats --json`,
    )
    .action(async (options: CommonOptions) => {
      const stats = await withStore(options, (store) => cliDeadLetterQueue(store).stats());
      if (options.json) {
        printJson(stats);
        return;
      }
      process.stdout.write(
        `${formatFields([
          ['total', stats.total],
          ['open', `${stats.open} (pending + requires_review)`],
          ['replayable', stats.replayable],
          [
            'oldest pending',
            stats.oldestPendingAgeMs === null ? null : `${formatAge(stats.oldestPendingAgeMs)} ago`,
          ],
          [
            'due for expiry',
            stats.dueForExpiryAtLeast ? `${stats.dueForExpiry} or more` : stats.dueForExpiry,
          ],
          ['purged (ever)', stats.purgedTotal],
        ])}\n\n`,
      );
      process.stdout.write(
        `${formatTable(
          ['STATUS', 'COUNT'],
          DEAD_LETTER_STATUSES.map((s) => [s, stats.byStatus[s] ?? 0]),
        )}\n`,
      );
      const domains = Object.entries(stats.byDomain).sort((a, b) => b[1] - a[1]);
      if (domains.length > 0)
        process.stdout.write(`\n${formatTable(['DOMAIN', 'COUNT'], domains.slice(0, 50))}\n`);
    });
}
