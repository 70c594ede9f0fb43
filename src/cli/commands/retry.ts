/**
 * `redrive retry`: retries dead-lettered jobs by replaying their dead letters (the default replay
 * re-enqueues the job into its queue with a fresh attempt budget).
 */
import type { Command } from 'commander';
import { RedriveError } from '../../core/errors.js';
import type { ReplayResult } from '../../dlq/replay-runner.js';
import {
  actorName,
  type CommonOptions,
  cliDeadLetterQueue,
  loadReplayHandlers,
  withCommonOptions,
  withStore,
} from '../common.js';
import { formatTable, printJson, wrap } from '../format.js';

interface RetryCommandOptions extends CommonOptions {
  actor?: string;
  handlers?: string;
  dryRun?: boolean;
}

/** One job's outcome. */
export interface JobRetryOutcome {
  jobId: string;
  ok: boolean;
  deadLetterId: string | null;
  result: ReplayResult | null;
  error: { code: string; message: string } | null;
}

export function registerRetry(program: Command): void {
  withCommonOptions(
    program
      .command('retry')
      .description('retry dead-lettered jobs (replays their dead letters; the job is enqueued again)')
      .argument('<jobId...>', 'ids of dead-lettered jobs')
      .option('--actor <name>', 'who is acting, for the audit trail (default cli:<user>)')
      .option('--handlers <module>', 'a module exporting a ReplayRegistry with your replay handlers')
      .option('--dry-run', 'check that each job can be retried; change nothing'),
  )
    .addHelpText(
      'after',
      `
Exit code 1 if any job could not be retried (the others still are).

Examples:
  redrive retry 1042
  redrive retry 1042 1043 1050 --actor alice --json
  redrive retry 1042 --dry-run`,
    )
    .action(async (jobIds: string[], options: RetryCommandOptions) => {
      const registry = await loadReplayHandlers(options.handlers);
      const outcomes = await withStore(options, async (store) => {
        const dlq = cliDeadLetterQueue(store, registry);
        const out: JobRetryOutcome[] = [];
        for (const jobId of jobIds) {
          const fail = (code: string, message: string, deadLetterId: string | null = null) =>
            out.push({ jobId, ok: false, deadLetterId, result: null, error: { code, message } });
          const job = await store.getJob({ id: jobId });
          if (!job) {
            fail('NOT_FOUND', `job ${jobId} does not exist`);
            continue;
          }
          const deadLetter = job.state === 'dead_lettered' ? await dlq.getByJob(jobId) : null;
          if (!deadLetter) {
            fail('STATE_CONFLICT', `job ${jobId} is ${job.state}; only dead-lettered jobs can be retried`);
            continue;
          }
          try {
            const result = await dlq.replayOne(deadLetter.id, {
              actor: actorName(options.actor),
              expectedGeneration: deadLetter.generation,
              ...(options.dryRun ? { dryRun: true } : {}),
            });
            out.push({ jobId, ok: result.success, deadLetterId: deadLetter.id, result, error: null });
          } catch (error) {
            if (!(error instanceof RedriveError)) throw error;
            fail(error.code, error.message, deadLetter.id);
          }
        }
        return out;
      });
      if (options.json) printJson({ results: outcomes });
      else {
        const rows = outcomes.map((o) => [
          o.jobId,
          o.deadLetterId ?? '-',
          o.ok ? (o.result?.dryRun ? 'would retry' : 'retried') : 'failed',
          o.result?.jobId ?? '-',
          wrap(o.error?.message ?? o.result?.error ?? o.result?.message, 80),
        ]);
        process.stdout.write(`${formatTable(['JOB', 'DEAD LETTER', 'RESULT', 'NEW JOB', 'DETAIL'], rows)}\n`);
      }
      if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
    });
}
