/**
 * `redrive dlq show`: one dead letter with its attempt history, payload and snapshots.
 */
import type { Command } from 'commander';
import { fullDeadLetter } from '../../../dlq/summary.js';
import { type CommonOptions, cliDeadLetterQueue, withCommonOptions, withStore } from '../../common.js';
import { formatFields, formatTable, formatTime, printJson, wrap } from '../../format.js';

function block(title: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = JSON.stringify(value, null, 2);
  return `\n${title}:\n${text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

export function registerDlqShow(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('show')
      .description('show one dead letter: error, attempts, payload, snapshots, audit')
      .argument('<id>'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq show dl_0mww7qsa4bbd40eccf0c3
  redrive dlq show dl_0mww7qsa4bbd40eccf0c3 --json`,
    )
    .action(async (id: string, options: CommonOptions) => {
      const { entry, audit } = await withStore(options, async (store) => {
        const dlq = cliDeadLetterQueue(store);
        const entry = await dlq.mustGet(id);
        return { entry, audit: await dlq.audit({ id, limit: 20 }) };
      });
      if (options.json) {
        printJson({ ...fullDeadLetter(entry), audit: audit.items });
        return;
      }
      const out: string[] = [];
      out.push(
        formatFields([
          ['id', entry.id],
          ['status', `${entry.status} (generation ${entry.generation})`],
          ['domain', entry.domain],
          ['queue', entry.queue],
          ['job', entry.jobId ? `${entry.jobId} (${entry.jobName})` : null],
          ['failure', entry.failureType],
          [
            'entity',
            entry.entityType || entry.entityId ? `${entry.entityType ?? '?'} ${entry.entityId ?? ''}` : null,
          ],
          ['error', `${entry.errorClass ? `${entry.errorClass}: ` : ''}${entry.errorMessage}`],
          ['error code', entry.errorCode],
          ['fingerprint', entry.fingerprint],
          ['replays', `${entry.replayCount} of ${entry.maxReplays}`],
          ['first failed', formatTime(entry.firstFailedAt)],
          ['dead-lettered', formatTime(entry.deadLetteredAt)],
          ['expires', formatTime(entry.expiresAt)],
          [
            'last replay',
            entry.lastReplayAt ? `${formatTime(entry.lastReplayAt)} ${entry.lastReplayError ?? 'ok'}` : null,
          ],
          ['resolved', entry.resolvedAt ? `${formatTime(entry.resolvedAt)} by ${entry.resolvedBy}` : null],
          ['note', entry.resolutionNote],
          ['hint', entry.nextActionHint],
          ['worker', entry.workerId],
          ['handler version', entry.handlerVersion],
        ]),
      );
      if (entry.attempts.length > 0) {
        out.push(
          `\nattempts:\n${formatTable(
            ['#', 'OUTCOME', 'STARTED', 'MS', 'WORKER', 'ERROR'],
            entry.attempts.map((a) => [
              a.attempt,
              a.outcome,
              formatTime(a.startedAt),
              a.endedAt - a.startedAt,
              a.workerId ?? '-',
              wrap(`${a.errorClass ? `${a.errorClass}: ` : ''}${a.message ?? ''}`, 70),
            ]),
          )}`,
        );
      }
      out.push(block('payload', entry.payload));
      out.push(block('snapshot', entry.snapshot));
      out.push(block('request', entry.requestData));
      out.push(block('response', entry.responseData));
      if (entry.errorStack) out.push(`\nstack:\n${entry.errorStack.split('\n').slice(0, 12).join('\n')}\n`);
      if (audit.items.length > 0) {
        out.push(
          `\naudit:\n${formatTable(
            ['WHEN', 'ACTION', 'ACTOR', 'STATUS', 'REASON'],
            audit.items.map((a) => [
              formatTime(a.at),
              a.action,
              a.actor,
              `${a.beforeStatus ?? '-'} -> ${a.afterStatus ?? '-'}`,
              wrap(a.reason ?? a.ticket ?? '', 50),
            ]),
          )}`,
        );
      }
      process.stdout.write(
        `${out
          .filter(Boolean)
          .join('\n')
          .replace(/\n{3,}/g, '\n\n')
          .trimEnd()}\n`,
      );
    });
}
