/**
 * `redrive enqueue`: add one job, or every line of a JSONL file (validated first: a bad line is
 * reported with its number and nothing is imported, unless `--skip-invalid`).
 */
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ValidationError } from '../../core/errors.js';
import type { Priority } from '../../core/job.js';
import type { JobOptions } from '../../queue/job-options.js';
import { assertQueueName } from '../../queue/job-options.js';
import { Queue } from '../../queue/queue.js';
import { CliError, UsageError } from '../cli-error.js';
import { printJson } from '../format.js';
import { startProgress } from '../progress.js';
import { openStore, parseStoreUrl, resolveStoreUrl } from '../store-url.js';

interface EnqueueOptions {
  payload?: string;
  file?: string;
  skipInvalid?: boolean;
  priority?: Priority;
  delay?: number;
  json?: boolean;
  store?: string;
}

const PRIORITIES: Record<string, Priority> = { high: 'high', normal: 'normal', low: 'low', 2: 2, 1: 1, 0: 0 };

function parsePriority(value: string): Priority {
  const priority = PRIORITIES[value.toLowerCase()];
  if (priority === undefined) throw new InvalidArgumentError('expected high, normal, low, 2, 1 or 0.');
  return priority;
}

function parseDelay(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number of milliseconds.');
  }
  return Number(value);
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--payload is not valid JSON (${(error as Error).message})`);
  }
}

/** Registers `enqueue` on the program. */
export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description('add a job to a queue, or every line of a JSONL file')
    .argument('<queue>', 'queue name')
    .argument('[name]', 'job name (with --file: the name of lines that are bare payloads)')
    .option('--payload <json>', 'job payload as JSON (default {})')
    .option(
      '--file <path>',
      'add the jobs of a JSONL file: one {"name", "payload", "options"} object or bare payload per line',
    )
    .option('--skip-invalid', 'with --file: skip bad lines (they are listed) instead of adding nothing')
    .option('--priority <priority>', 'high, normal or low (2, 1, 0)', parsePriority)
    .option('--delay <ms>', 'run no sooner than this many milliseconds from now', parseDelay)
    .option('--json', 'print JSON')
    .option('--store <url>', 'store URL (default: $REDRIVE_STORE, else sqlite:./data/redrive.db)')
    .addHelpText(
      'after',
      `
Examples:
  redrive enqueue emails send-welcome --payload '{"to":"ada@example.com"}' --priority high
  redrive enqueue reports build --payload '{"day":"2026-01-31"}' --delay 60000
  redrive enqueue emails --file jobs.jsonl --skip-invalid
  redrive enqueue emails --file jobs.jsonl --json     (a summary: added, duplicates, skipped lines)`,
    )
    .action(async (queueName: string, name: string | undefined, options: EnqueueOptions) => {
      try {
        assertQueueName(queueName);
      } catch (error) {
        const { field, message } = error as ValidationError;
        throw new UsageError(`invalid queue name '${queueName}': ${message.slice(field.length + 2)}`);
      }
      if (options.file !== undefined && options.payload !== undefined) {
        throw new UsageError('use either --payload or --file, not both');
      }
      if (options.file === undefined && name === undefined) {
        throw new UsageError("missing argument 'name' (or give --file)");
      }
      if (options.skipInvalid && options.file === undefined) {
        throw new UsageError('--skip-invalid applies only with --file');
      }
      const payload = options.payload === undefined ? {} : parsePayload(options.payload);
      const jobOptions: JobOptions = {};
      if (options.priority !== undefined) jobOptions.priority = options.priority;
      if (options.delay !== undefined) jobOptions.delay = options.delay;

      const location = parseStoreUrl(resolveStoreUrl(options.store));
      const store = openStore(location);
      try {
        if (options.file !== undefined) {
          // --priority and --delay apply to every line that does not set its own.
          const queue = new Queue(queueName, { store, defaultJobOptions: jobOptions });
          await importFile(queue, options.file, name, options);
        } else {
          const queue = new Queue(queueName, { store });
          const job = await queue.add(name!, payload, jobOptions);
          if (options.json) printJson(job);
          else process.stdout.write(`enqueued job ${job.id} (${job.name}) in ${job.queue}\n`);
        }
      } finally {
        await store.close();
      }
    });
}

async function importFile(
  queue: Queue,
  file: string,
  name: string | undefined,
  options: EnqueueOptions,
): Promise<void> {
  const bar = startProgress(`adding to ${queue.name}`, 0, options);
  let result: Awaited<ReturnType<Queue['addFromFile']>>;
  try {
    result = await queue.addFromFile(file, {
      ...(name === undefined ? {} : { name }),
      skipInvalid: options.skipInvalid ?? false,
      onProgress: ({ added, total }) => {
        bar.setTotal(total);
        bar.update(added);
      },
    });
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'path') {
      throw new CliError(error.message.replace(/^path: /, ''));
    }
    if (error instanceof ValidationError) {
      throw new CliError(
        `${basename(file)}: ${error.message}; nothing was added (--skip-invalid adds the valid lines)`,
      );
    }
    throw error;
  } finally {
    bar.stop();
  }
  if (options.json) {
    printJson({ queue: queue.name, file, ...result });
    return;
  }
  const skipped = result.lines - result.added - result.duplicates;
  const notes = [`${result.duplicates} duplicate(s)`, `${skipped} bad line(s) skipped`];
  process.stdout.write(`added ${result.added} job(s) to ${queue.name} from ${file} (${notes.join(', ')})\n`);
  for (const line of result.skipped) process.stderr.write(`  skipped ${line.message}\n`);
  if (skipped > result.skipped.length) {
    process.stderr.write(`  … and ${skipped - result.skipped.length} more\n`);
  }
}
