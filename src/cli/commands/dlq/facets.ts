/**
 * `redrive dlq facets`: a status x domain table of dead-letter counts.
 */
import type { Command } from 'commander';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../../core/dead-letter.js';
import { UsageError } from '../../cli-error.js';
import { type CommonOptions, cliDeadLetterQueue, withCommonOptions, withStore } from '../../common.js';
import { formatTable, printJson } from '../../format.js';

interface FacetsOptions extends CommonOptions {
  status?: string;
  domain?: string;
}

export function registerDlqFacets(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('facets')
      .description('dead-letter counts per status and domain')
      .option('--status <status>', 'domain counts of this status only')
      .option('--domain <domain>', 'status counts of this domain only'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq facets
  redrive dlq facets --status pending --json`,
    )
    .action(async (options: FacetsOptions) => {
      if (
        options.status !== undefined &&
        !DEAD_LETTER_STATUSES.includes(options.status as DeadLetterStatus)
      ) {
        throw new UsageError(
          `unknown status '${options.status}' (expected ${DEAD_LETTER_STATUSES.join(', ')})`,
        );
      }
      const facets = await withStore(options, (store) =>
        cliDeadLetterQueue(store).facets({
          ...(options.status !== undefined ? { status: options.status as DeadLetterStatus } : {}),
          ...(options.domain !== undefined ? { domain: options.domain } : {}),
        }),
      );
      if (options.json) {
        printJson(facets);
        return;
      }
      const domains = Object.keys(facets.byDomain).sort((a, b) => facets.byDomain[b]! - facets.byDomain[a]!);
      if (domains.length === 0) {
        process.stdout.write('no dead letters\n');
        return;
      }
      const statuses = DEAD_LETTER_STATUSES.filter(
        (s) => (facets.byStatus[s] ?? 0) > 0 || options.status === s,
      );
      const cell = (status: DeadLetterStatus, domain: string) =>
        facets.cells.find((c) => c.status === status && c.domain === domain)?.count ?? 0;
      const rows = domains.map((d) => [d, ...statuses.map((s) => cell(s, d)), facets.byDomain[d]!]);
      rows.push([
        '(all)',
        ...statuses.map((s) => facets.byStatus[s] ?? 0),
        domains.reduce((n, d) => n + facets.byDomain[d]!, 0),
      ]);
      process.stdout.write(
        `${formatTable(['DOMAIN', ...statuses.map((s) => s.toUpperCase()), 'TOTAL'], rows)}\n`,
      );
    });
}
