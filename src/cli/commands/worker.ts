/**
 * `redrive worker <module>`: runs workers for the handler or tasks a module exports, until
 * SIGINT/SIGTERM (or `--duration`), then shuts down gracefully (running jobs finish or are handed
 * back) and prints what it did.
 *
 * The module exports one of:
 * - a handler function (`default` or `handler`), with `--queue` or an exported `queue` name;
 * - tasks made with `defineTask` (`tasks` or `default`: an array), served per queue by a router;
 * - a `TaskRegistry` (`router`, `registry` or `default`).
 * It may export `workerOptions` (concurrency, backoff, ...).
 */
import type { Command } from 'commander';
import { createTaskRouter, type RoutableTask, TaskRegistry } from '../../queue/tasks.js';
import type { JobHandler } from '../../queue/worker.js';
import { Worker } from '../../queue/worker.js';
import type { WorkerOptions } from '../../queue/worker-options.js';
import { CliError, UsageError } from '../cli-error.js';
import {
  type CommonOptions,
  duration,
  importUserModule,
  positiveInt,
  untilStopped,
  withCommonOptions,
} from '../common.js';
import { formatTable, printJson } from '../format.js';
import { openStore, parseStoreUrl, resolveStoreUrl } from '../store-url.js';

interface WorkerCommandOptions extends CommonOptions {
  queue?: string[];
  concurrency?: number;
  duration?: number;
  shutdownTimeout?: number;
}

/** What a module provides: a handler per queue. */
export type HandlerMap = Map<string, JobHandler<unknown, unknown>>;

function isTask(value: unknown): value is RoutableTask {
  const v = value as RoutableTask;
  return !!v && typeof v.handle === 'function' && typeof v.name === 'string' && typeof v.queue === 'string';
}

function isRegistry(value: unknown): value is TaskRegistry {
  return value instanceof TaskRegistry;
}

/** Finds the handlers a module exports. */
export function handlersOf(
  mod: Record<string, unknown>,
  path: string,
  queues: string[] | undefined,
): HandlerMap {
  const map: HandlerMap = new Map();
  const tasks = [mod.tasks, mod.default].find((v) => Array.isArray(v) && v.length > 0 && v.every(isTask)) as
    | RoutableTask[]
    | undefined;
  const registry = [mod.router, mod.registry, mod.default].find(isRegistry);
  const handler = [mod.handler, mod.default].find((v) => typeof v === 'function' && !isRegistry(v)) as
    | JobHandler<unknown, unknown>
    | undefined;
  if (tasks) {
    const byQueue = new Map<string, RoutableTask[]>();
    for (const t of tasks) byQueue.set(t.queue, [...(byQueue.get(t.queue) ?? []), t]);
    for (const [queue, list] of byQueue) map.set(queue, createTaskRouter(list));
  } else if (registry) {
    if (!registry.queue) throw new CliError(`the task registry of ${path} has no tasks`);
    map.set(registry.queue, registry.handler);
  } else if (handler) {
    const exported = typeof mod.queue === 'string' ? [mod.queue] : [];
    const names = queues ?? exported;
    if (names.length === 0) {
      throw new UsageError(
        `${path} exports a handler but no queue name: give --queue <name> (or export const queue)`,
      );
    }
    for (const q of names) map.set(q, handler);
    return map;
  } else {
    throw new CliError(
      `${path} exports no handler: export a function (default or handler), tasks (an array of defineTask tasks) or a TaskRegistry`,
    );
  }
  if (queues) {
    for (const q of queues) if (!map.has(q)) throw new UsageError(`${path} has no tasks for queue ${q}`);
    for (const q of [...map.keys()]) if (!queues.includes(q)) map.delete(q);
  }
  return map;
}

export function registerWorker(program: Command): void {
  withCommonOptions(
    program
      .command('worker')
      .description('run workers for the handler or tasks a module exports, until Ctrl-C')
      .argument('<module>', 'a JavaScript (or, from source, TypeScript) module')
      .option(
        '--queue <name>',
        'the queue to serve (repeatable; required for a bare handler)',
        (v, p: string[] = []) => [...p, v],
      )
      .option(
        '--concurrency <n>',
        'jobs run at once per queue (default: the module’s workerOptions, else 1)',
        positiveInt(10_000),
      )
      .option('--duration <time>', 'stop after this long (e.g. 30s), as if interrupted', duration)
      .option(
        '--shutdown-timeout <time>',
        'how long shutdown waits for running jobs (default 10s)',
        duration,
      ),
  )
    .addHelpText(
      'after',
      `
The module exports a handler (default or "handler") plus a queue name (--queue, or export const
queue), or tasks (export const tasks = [sendEmail, buildReport]), or a TaskRegistry. It may also
export workerOptions ({ concurrency, backoff, ... }).

Examples:
  redrive worker ./dist/jobs/email.js --queue emails --concurrency 8
  redrive worker ./dist/tasks.js
  redrive worker ./dist/tasks.js --queue reports --duration 60s --json`,
    )
    .action(async (path: string, options: WorkerCommandOptions) => {
      const mod = await importUserModule(path);
      const handlers = handlersOf(mod, path, options.queue);
      const exportedOptions = (mod.workerOptions ?? {}) as Partial<WorkerOptions>;
      const location = parseStoreUrl(resolveStoreUrl(options.store));
      const store = openStore(location);
      const workers: Worker[] = [];
      try {
        for (const [queue, handler] of handlers) {
          workers.push(
            new Worker(queue, handler, {
              ...exportedOptions,
              store,
              ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
              ...(options.shutdownTimeout !== undefined
                ? { shutdownTimeoutMs: options.shutdownTimeout }
                : {}),
            }),
          );
        }
        for (const w of workers) {
          w.on('error', ({ error }) =>
            process.stderr.write(`redrive: worker ${w.queue}: ${error.message}\n`),
          );
        }
        const started = {
          event: 'started',
          store: location.url,
          queues: workers.map((w) => w.queue),
          pid: process.pid,
        };
        if (options.json) process.stdout.write(`${JSON.stringify(started)}\n`);
        else {
          process.stdout.write(
            `serving ${started.queues.join(', ')} from ${location.url} (pid ${process.pid}); Ctrl-C stops gracefully\n`,
          );
        }
        const reason = await untilStopped(options.duration);
        // A second signal while shutting down exits at once (leases expire; jobs run again elsewhere).
        const force = () => process.exit(130);
        process.once('SIGINT', force);
        process.once('SIGTERM', force);
        if (!options.json)
          process.stdout.write(`${reason}: stopping (running jobs finish or are handed back)…\n`);
        await Promise.all(workers.map((w) => w.close()));
        const stats = workers.map((w) => w.stats());
        if (options.json) printJson({ event: 'stopped', reason, workers: stats });
        else {
          process.stdout.write(
            `${formatTable(
              ['QUEUE', 'COMPLETED', 'FAILED', 'RETRIED', 'DEAD-LETTERED', 'RECOVERED'],
              stats.map((s) => [s.queue, s.completed, s.failed, s.retried, s.deadLettered, s.recovered]),
            )}\n`,
          );
        }
      } finally {
        await Promise.all(workers.map((w) => w.close()));
        await store.close();
      }
    });
}
