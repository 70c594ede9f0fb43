/**
 * The `redrive` command line. Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong.
 * Errors print one line on stderr (`REDRIVE_DEBUG=1` adds the stack).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerEnqueue } from './commands/enqueue.js';
import { registerStats } from './commands/stats.js';

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
The store is sqlite:<path> (--store, or the REDRIVE_STORE environment variable;
default sqlite:./data/redrive.db).
Exit codes: 0 ok, 1 the command failed, 2 usage error.`,
    );
  registerStats(program);
  registerEnqueue(program);
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
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander reports is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`redrive: ${describe(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

process.exitCode = await main();
