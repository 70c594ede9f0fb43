/**
 * `redrive dlq force-replay` (old name `redrive dlq redrive`): the admin override for an entry whose
 * replay budget is spent (after fixing the cause): audited with a reason and ticket, with a fresh
 * budget.
 */
import type { Command } from 'commander';
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
import { perEntry, reportOutcomes } from './entry-outcomes.js';

interface DlqRedriveOptions extends CommonOptions {
  reason: string;
  ticket?: string;
  generation?: number;
  actor?: string;
  handlers?: string;
}

export function registerDlqRedrive(dlq: Command): void {
  withCommonOptions(
    dlq
      .command('force-replay')
      // The old name, kept for one minor version (docs/glossary.md: redrive is the product).
      .alias('redrive')
      .description(
        'force a replay of an entry that needs review (audited; grants a fresh replay budget; alias: redrive, deprecated)',
      )
      .argument('<id>', 'dead-letter id')
      .requiredOption('--reason <text>', 'why (written to the audit trail)')
      .option('--ticket <ref>', 'a ticket or incident reference for the audit trail')
      .option('--generation <n>', 'refuse unless the entry is still at this generation', nonNegativeInt)
      .option('--actor <name>', 'who is acting (default cli:<user>)')
      .option('--handlers <module>', 'a module exporting a ReplayRegistry with your replay handlers'),
  )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq force-replay dl_0mww7qsa4bbd40eccf0c3 --reason "fixed the VAT rounding" --ticket OPS-1234
  redrive dlq force-replay dl_0mww7qsa4bbd40eccf0c3 --reason "upstream back" --generation 5 --json`,
    )
    .action(async (id: string, options: DlqRedriveOptions) => {
      if (options.reason.trim() === '')
        throw new UsageError('--reason must say why (it goes to the audit trail)');
      const registry = await loadReplayHandlers(options.handlers);
      const outcomes = await withStore(options, (store) => {
        const dlq = cliDeadLetterQueue(store, registry);
        return perEntry([id], (entryId) =>
          dlq.forceReplay(entryId, {
            actor: actorName(options.actor),
            reason: options.reason,
            ...(options.ticket !== undefined ? { ticket: options.ticket } : {}),
            ...(options.generation !== undefined ? { expectedGeneration: options.generation } : {}),
          }),
        );
      });
      reportOutcomes(outcomes, options.json);
    });
}
