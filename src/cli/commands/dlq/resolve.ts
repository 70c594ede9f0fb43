/**
 * `redrive dlq resolve`: closes dead letters by hand — given ids, or every open entry matching
 * filters (`--all-matching`) — in chunks, with a progress bar and a dry run.
 */
import type { Command } from 'commander';
import { OPEN_STATUSES, openIdsMatching } from '../../../dlq/open-entries.js';
import { UsageError } from '../../cli-error.js';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  nonNegativeInt,
  positiveInt,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { formatTable, printJson } from '../../format.js';
import { startProgress } from '../../progress.js';
import { type FilterOptions, filterFromOptions, hasFilter, withFilterOptions } from './filter.js';

interface DlqResolveOptions extends CommonOptions, FilterOptions {
  note?: string;
  generation?: number;
  actor?: string;
  allMatching?: boolean;
  limit?: number;
  dryRun?: boolean;
}

/** Ids per transaction. */
const CHUNK = 500;

export function registerDlqResolve(dlq: Command): void {
  withCommonOptions(
    withFilterOptions(
      dlq
        .command('resolve')
        .description('resolve dead letters by hand: given ids, or all open entries matching filters')
        .argument('[id...]', 'dead-letter ids')
        .option('--note <text>', 'resolution note')
        .option(
          '--generation <n>',
          'refuse unless the entry is still at this generation (one id only)',
          nonNegativeInt,
        )
        .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
        .option('--all-matching', 'resolve every open entry matching the filter options')
        .option('--limit <n>', 'with --all-matching: at most this many (default 100000)', positiveInt())
        .option('--dry-run', 'report what would be resolved; change nothing'),
    ),
  )
    .addHelpText(
      'after',
      `
Only pending and requires_review entries can be resolved; others are reported as skipped.

Examples:
  redrive dlq resolve dl_a dl_b --note "refunded by hand"
  redrive dlq resolve dl_a --generation 3 --note "refunded by hand"   (only if nobody changed it since)
  redrive dlq resolve --all-matching --domain payment --failure-type AMOUNT_MISMATCH --dry-run
  redrive dlq resolve --all-matching --search "customer deleted" --note "obsolete" --json`,
    )
    .action(async (ids: string[], options: DlqResolveOptions) => {
      if (options.allMatching && ids.length > 0) throw new UsageError('give ids or --all-matching, not both');
      if (!options.allMatching && ids.length === 0) {
        throw new UsageError('give dead-letter ids, or --all-matching with filter options');
      }
      if (!options.allMatching && hasFilter(options)) {
        throw new UsageError('filter options apply only with --all-matching');
      }
      if (options.generation !== undefined && (options.allMatching || ids.length !== 1)) {
        throw new UsageError('--generation applies to one id only');
      }
      const expectedGenerations =
        options.generation === undefined ? undefined : { [ids[0]!]: options.generation };
      const actor = actorName(options.actor);
      const report = await withStore(options, async (store) => {
        const dlq = cliDeadLetterQueue(store);
        let targets = [...new Set(ids)];
        let truncated = false;
        if (options.allMatching) {
          ({ ids: targets, truncated } = await openIdsMatching(
            store,
            filterFromOptions(options),
            options.limit ?? 100_000,
          ));
        }
        const resolved: string[] = [];
        const skipped: { id: string; status: string; reason: string }[] = [];
        const notFound: string[] = [];
        const bar = startProgress(options.dryRun ? 'checking' : 'resolving', targets.length, options);
        try {
          for (let i = 0; i < targets.length; i += CHUNK) {
            const chunk = targets.slice(i, i + CHUNK);
            if (options.dryRun) {
              for (const id of chunk) {
                const entry = await dlq.get(id);
                if (!entry) notFound.push(id);
                else if (!OPEN_STATUSES.includes(entry.status))
                  skipped.push({ id, status: entry.status, reason: 'invalid_status' });
                else if (options.generation !== undefined && options.generation !== entry.generation)
                  skipped.push({ id, status: entry.status, reason: 'stale_generation' });
                else resolved.push(id);
              }
            } else {
              const r = await dlq.resolveBatch(chunk, {
                actor,
                ...(options.note !== undefined ? { note: options.note } : {}),
                ...(expectedGenerations ? { expectedGenerations } : {}),
              });
              resolved.push(...r.resolved);
              skipped.push(...r.skipped);
              notFound.push(...r.notFound);
            }
            bar.update(Math.min(i + CHUNK, targets.length));
          }
        } finally {
          bar.stop();
        }
        return { requested: targets.length, resolved, skipped, notFound, truncated };
      });
      if (options.json) {
        printJson({ ...report, dryRun: options.dryRun === true });
      } else {
        const verb = options.dryRun ? 'would resolve' : 'resolved';
        process.stdout.write(
          `${verb} ${report.resolved.length} of ${report.requested} dead letter(s); ${report.skipped.length} skipped, ${report.notFound.length} not found${report.truncated ? ' (stopped at --limit)' : ''}\n`,
        );
        const problems = [
          ...report.skipped.map((s) => [s.id, `skipped: ${s.reason} (${s.status})`]),
          ...report.notFound.map((id) => [id, 'not found']),
        ];
        if (problems.length > 0)
          process.stdout.write(`${formatTable(['ID', 'PROBLEM'], problems.slice(0, 50))}\n`);
      }
      if (!options.allMatching && report.resolved.length < report.requested) process.exitCode = 1;
    });
}
