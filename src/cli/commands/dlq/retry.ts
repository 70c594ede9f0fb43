/**
 * `redrive dlq retry`: replays dead letters through their replay handlers (dead letters of queue
 * jobs re-enqueue the job by default), each checked against its replay budget and generation.
 */
import type { Command } from 'commander';
import { RedriveError } from '../../../core/errors.js';
import type { ReplayResult } from '../../../dlq/replay-runner.js';
import { UsageError } from '../../cli-error.js';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  loadReplayHandlers,
  nonNegativeInt,
  withCommonOptions,
  withStore,
} from '../../common.js';
import { formatTable, printJson, wrap } from '../../format.js';

interface DlqRetryOptions extends CommonOptions {
  generation?: number;
  actor?: string;
  handlers?: string;
  dryRun?: boolean;
}

/** One entry's outcome. */
export interface DeadLetterActionOutcome {
  id: string;
  ok: boolean;
  result: ReplayResult | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

/** Runs `action` per id, turning redrive errors into failed outcomes. */
export async function perEntry(
  ids: readonly string[],
  action: (id: string) => Promise<ReplayResult>,
): Promise<DeadLetterActionOutcome[]> {
  const out: DeadLetterActionOutcome[] = [];
  for (const id of ids) {
    try {
      const result = await action(id);
      out.push({ id, ok: result.success, result, error: null });
    } catch (error) {
      if (!(error instanceof RedriveError)) throw error;
      out.push({
        id,
        ok: false,
        result: null,
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      });
    }
  }
  return out;
}

/** Prints outcomes (table or JSON) and sets exit code 1 when any failed. */
export function reportOutcomes(outcomes: DeadLetterActionOutcome[], json: boolean | undefined): void {
  if (json) printJson({ results: outcomes });
  else {
    const rows = outcomes.map((o) => [
      o.id,
      o.ok ? (o.result?.dryRun ? 'ok (dry run)' : 'ok') : 'failed',
      o.result?.status ?? '-',
      o.result ? `${o.result.replayCount}/${o.result.maxReplays}` : '-',
      wrap(o.error?.message ?? o.result?.error ?? o.result?.message, 90),
    ]);
    process.stdout.write(`${formatTable(['ID', 'RESULT', 'STATUS', 'REPLAYS', 'DETAIL'], rows)}\n`);
  }
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

export function registerDlqRetry(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('retry')
      .description('replay dead letters through their replay handlers (within their replay budget)')
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
Dead letters of queue jobs need no handler: the job is enqueued again. Others need a handler for
their domain (--handlers ./replay-handlers.js exporting a ReplayRegistry). For many entries at once,
use redrive dlq replay. Exit code 1 if any entry failed.

Examples:
  redrive dlq retry dl_0mww7qsa4bbd40eccf0c3
  redrive dlq retry dl_a dl_b --actor alice --json
  redrive dlq retry dl_a --generation 3 --handlers ./replay-handlers.js`,
    )
    .action(async (ids: string[], options: DlqRetryOptions) => {
      if (options.generation !== undefined && ids.length > 1) {
        throw new UsageError('--generation applies to one id only');
      }
      const registry = await loadReplayHandlers(options.handlers);
      const outcomes = await withStore(options, (store) => {
        const dlq = cliDeadLetterQueue(store, registry);
        return perEntry(ids, (id) =>
          dlq.replayOne(id, {
            actor: actorName(options.actor),
            ...(options.generation !== undefined ? { expectedGeneration: options.generation } : {}),
            ...(options.dryRun ? { dryRun: true } : {}),
          }),
        );
      });
      reportOutcomes(outcomes, options.json);
    });
}
