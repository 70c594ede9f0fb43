/**
 * The `redrive` command line. Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong.
 * Errors print one line on stderr (`REDRIVE_DEBUG=1` adds the stack).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ValidationError } from '../core/errors.js';
import { CliError } from './cli-error.js';
import { registerBench } from './commands/bench.js';
import { registerChaos } from './commands/chaos.js';
import { registerDlq } from './commands/dlq/index.js';
import { registerEnqueue } from './commands/enqueue.js';
import { registerList } from './commands/list.js';
import { registerMaintain } from './commands/maintain.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPurge } from './commands/purge.js';
import { registerRetry } from './commands/retry.js';
import { registerServe } from './commands/serve.js';
import { registerStats } from './commands/stats.js';
import { registerWorker } from './commands/worker.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the program; commands throw, and {@link main} turns what they throw into an exit code. */
export function buildProgram(): Command {
  const program = new Command('redrive')
    .description('redrive: a durable job queue with a dead-letter queue; inspect and feed its queues')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing argument…) as one line.
      outputError: (message, write) =>
        write(
          `redrive: ${message
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .addHelpText(
      'after',
      `
The store is sqlite:<path>, redis://host:port or postgres://host/database[?schema=name]
(--store, or the REDRIVE_STORE environment variable; default sqlite:./data/redrive.db). Every command takes --json; redrive <command> --help shows
its options and examples.
Exit codes: 0 ok, 1 the command failed, 2 usage error.

Examples:
  redrive stats
  redrive enqueue emails send-welcome --payload '{"to":"ada@example.com"}'
  redrive worker ./dist/jobs.js --queue emails
  redrive dlq list --status pending
  redrive serve`,
    );
  registerStats(program);
  registerEnqueue(program);
  registerList(program);
  registerRetry(program);
  registerPurge(program);
  registerWorker(program);
  registerMaintain(program);
  registerDlq(program);
  registerBench(program);
  registerChaos(program);
  registerServe(program);
  registerMigrate(program);
  return program;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return process.env.REDRIVE_DEBUG && error.stack ? error.stack : error.message.replace(/\s*\n\s*/g, ' ');
  }
  return String(error);
}

/** Runs the CLI on `argv` (as `process.argv`); resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    // A command that ran but partly failed sets process.exitCode itself.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander reports is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`redrive: ${describe(error)}\n`);
    if (error instanceof CliError) return error.exitCode;
    // Input the library refused (a bad option value, a payload too large): a usage error.
    return error instanceof ValidationError ? 2 : 1;
  }
}

/**
 * Runs the CLI as the process (the `redrive` binary calls this): sets the exit code. Importing this
 * module runs nothing, so tests can build the program and run commands in their own process.
 */
export async function runAsProgram(): Promise<void> {
  // Output piped into `head` and the like: stop quietly when the reader goes away.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.exitCode = await main();
}
