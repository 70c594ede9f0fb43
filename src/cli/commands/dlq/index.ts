/**
 * `redrive dlq ...`: the dead-letter queue from the command line.
 */
import type { Command } from 'commander';
import { registerDlqFacets } from './facets.js';
import { registerDlqList } from './list.js';
import { registerDlqPurge } from './purge.js';
import { registerDlqRedrive } from './redrive.js';
import { registerDlqRegroup } from './regroup.js';
import { registerDlqReplay } from './replay.js';
import { registerDlqResolve } from './resolve.js';
import { registerDlqRetry } from './retry.js';
import { registerDlqShow } from './show.js';
import { registerDlqStats } from './stats.js';

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      'inspect and act on dead letters: list, show, replay, force-replay, resolve, purge, stats, facets, regroup',
    )
    .addHelpText(
      'after',
      `
Examples:
  redrive dlq stats
  redrive dlq list --status pending --domain payment
  redrive dlq show <id>
  redrive dlq replay <id>
  redrive dlq resolve --all-matching --search "customer deleted" --dry-run`,
    );
  registerDlqList(dlq);
  registerDlqShow(dlq);
  registerDlqRetry(dlq);
  registerDlqRedrive(dlq);
  registerDlqResolve(dlq);
  registerDlqReplay(dlq);
  registerDlqPurge(dlq);
  registerDlqStats(dlq);
  registerDlqFacets(dlq);
  registerDlqRegroup(dlq);
}
