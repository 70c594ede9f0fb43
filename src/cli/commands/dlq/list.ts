/**
 * `redrive dlq list`: dead letters matching filters, newest first, a page at a time.
 */
import type { Command } from 'commander';
import { MAX_PAGE_SIZE } from '../../../dlq/queries.js';
import { summarizeDeadLetter } from '../../../dlq/summary.js';
import {
  type CommonOptions,
  cliDeadLetterQueue,
  positiveInt,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { formatAge, formatTable, printJson, wrap } from '../../format.js';
import { type FilterOptions, filterFromOptions, withFilterOptions } from './filter.js';

interface DlqListOptions extends CommonOptions, FilterOptions {
  page?: number;
  pageSize?: number;
  cursor?: string;
  oldest?: boolean;
}

export function registerDlqList(dlq: Command): void {
  withCommonOptions(
    withFilterOptions(
      dlq
        .command('list')
        .description('list dead letters (newest first) with filters and search')
        .option('--page <n>', 'page number (default 1)', positiveInt())
        .option(
          '--page-size <n>',
          `entries per page (default 25, at most ${MAX_PAGE_SIZE})`,
          positiveInt(MAX_PAGE_SIZE),
        )
        .option('--cursor <cursor>', 'continue after a previous page (its nextCursor); fast at any depth')
        .option('--oldest', 'oldest first'),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq list
  redrive dlq list --status pending --domain payment
  redrive dlq list --search "timeout" --from 2h
  redrive dlq list --where payload.customer.id=42 --json
  redrive dlq list --page-size 100 --cursor <nextCursor>`,
    )
    .action(async (options: DlqListOptions) => {
      const filter = filterFromOptions(options);
      const page = await withStore(options, (store) =>
        cliDeadLetterQueue(store).list(filter, {
          page: options.page ?? 1,
          pageSize: options.pageSize ?? 25,
          ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
          ...(options.oldest ? { order: 'oldest' as const } : {}),
        }),
      );
      const items = page.results.map(summarizeDeadLetter);
      if (options.json) {
        printJson({
          items,
          total: page.totalCount,
          page: page.page,
          pageSize: page.pageSize,
          totalPages: page.totalPages,
          nextCursor: page.nextCursor,
        });
        return;
      }
      if (items.length === 0) {
        process.stdout.write(`no dead letters match (total ${page.totalCount})\n`);
        return;
      }
      const now = Date.now();
      const rows = items.map((d) => [
        d.id,
        d.status,
        d.domain,
        d.queue ?? '-',
        d.failureType,
        `${d.replayCount}/${d.maxReplays}`,
        formatAge(now - d.deadLetteredAt),
        wrap(`${d.errorClass ? `${d.errorClass}: ` : ''}${d.errorMessage}`, 70),
      ]);
      process.stdout.write(
        `${formatTable(['ID', 'STATUS', 'DOMAIN', 'QUEUE', 'FAILURE', 'REPLAYS', 'AGE', 'ERROR'], rows)}\n`,
      );
      const more = page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : '';
      process.stdout.write(`page ${page.page} of ${page.totalPages} (${page.totalCount} total)${more}\n`);
    });
}
