/**
 * `redrive maintain`: runs only the store's maintainer — a candidate for the store's leadership
 * that, once elected, sweeps expired leases, deletes old completed jobs, and applies dead-letter
 * and audit retention — until SIGINT/SIGTERM (or `--duration`). For deployments whose workers run
 * with `maintenance: false`, or that want housekeeping in a process of its own.
 */
import type { Command } from 'commander';
import { systemClock, systemRandom } from '../../core/clock.js';
import { createMaintainer } from '../../maintenance/maintenance-options.js';
import { type CommonOptions, duration, untilStopped, withCommonOptions } from '../common.js';
import { openStore, parseStoreUrl, resolveStoreUrl } from '../store-url.js';

interface MaintainOptions extends CommonOptions {
  duration?: number;
  lease?: number;
}

/** Registers `maintain` on the program. */
export function registerMaintain(program: Command): void {
  withCommonOptions(
    program
      .command('maintain')
      .description("run only the store's maintainer (elected housekeeping), until Ctrl-C")
      .option('--duration <time>', 'stop after this long (e.g. 30s), as if interrupted', duration)
      .option(
        '--lease <time>',
        'leadership lease: a dead leader is replaced within it (default 15s)',
        duration,
      ),
  )
    .addHelpText(
      'after',
      `
Every worker is a candidate by default; of all candidates on a store one leads and runs the
maintenance. Run this where workers start with maintenance: false, or to keep housekeeping apart.

Examples:
  redrive maintain
  redrive maintain --store postgres://app@db/app --json`,
    )
    .action(async (options: MaintainOptions) => {
      const location = parseStoreUrl(resolveStoreUrl(options.store));
      const store = openStore(location);
      const maintainer = createMaintainer(
        store,
        options.lease !== undefined ? { leaseMs: options.lease } : {},
        { clock: systemClock, random: systemRandom },
      );
      const say = (event: Record<string, unknown>, text: string) =>
        process.stdout.write(options.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
      maintainer.on('leadership.gained', ({ epoch }) =>
        say({ event: 'leading', epoch }, `leading the store's maintenance (epoch ${epoch})`),
      );
      maintainer.on('leadership.lost', ({ epoch, reason }) => {
        if (reason === 'deposed')
          say({ event: 'standing_by', epoch }, 'another process took the lease; standing by');
      });
      maintainer.on('error', ({ error, service }) =>
        process.stderr.write(`redrive: maintenance${service ? ` ${service}` : ''}: ${error.message}\n`),
      );
      try {
        maintainer.start();
        say(
          { event: 'started', store: location.url, candidate: maintainer.candidate, pid: process.pid },
          `maintainer ${maintainer.candidate} on ${location.url} (pid ${process.pid}); Ctrl-C stops`,
        );
        const reason = await untilStopped(options.duration);
        await maintainer.close();
        const status = maintainer.status();
        if (options.json)
          process.stdout.write(
            `${JSON.stringify({ event: 'stopped', reason, services: status.services })}\n`,
          );
        else {
          process.stdout.write(`${reason}: stopped\n`);
          for (const s of status.services) process.stdout.write(`  ${s.name}: ${s.runs} runs\n`);
        }
      } finally {
        await maintainer.close();
        await store.close();
      }
    });
}
