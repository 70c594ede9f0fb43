/**
 * `redrive bench`: the benchmark harness (`npm run bench`): runs bench/run.ts with tsx, passing
 * every other argument through. Available in a checkout of the redrive repository.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';

/** The repository root holding bench/run.ts, searched upwards from this module, then from the working directory. */
export function findBenchRoot(): string | null {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let dir = start;
    for (;;) {
      if (existsSync(join(dir, 'bench', 'run.ts')) && existsSync(join(dir, 'package.json'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return null;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks (npm run bench); other arguments are passed to bench/run.ts')
    .argument('[args...]', 'arguments for bench/run.ts (see redrive bench -- --help)')
    .option('--json', 'print the results file (.bench/results.json) on stdout; progress goes to stderr')
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Examples:
  redrive bench --quick
  redrive bench --only enqueue,process --no-full
  redrive bench --quick --only enqueue-bulk --json
  redrive bench -- --help                      the harness's own options`,
    )
    .action(async (args: string[], options: { json?: boolean }) => {
      const root = findBenchRoot();
      if (!root)
        throw new CliError(
          'bench/run.ts not found: redrive bench runs in a checkout of the redrive repository',
        );
      let tsxCli: string;
      try {
        tsxCli = createRequire(join(root, 'package.json')).resolve('tsx/cli');
      } catch {
        throw new CliError('tsx is not installed (npm install in the redrive repository)');
      }
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [tsxCli, join(root, 'bench', 'run.ts'), ...args], {
          cwd: root,
          stdio: options.json ? ['ignore', process.stderr, process.stderr] : 'inherit',
        });
        const forward = (signal: NodeJS.Signals) => child.kill(signal);
        process.on('SIGINT', forward);
        process.on('SIGTERM', forward);
        child.on('error', reject);
        child.on('exit', (exitCode, signal) => {
          process.off('SIGINT', forward);
          process.off('SIGTERM', forward);
          resolve(exitCode ?? (signal ? 1 : 0));
        });
      });
      if (code !== 0) {
        process.exitCode = code === 2 ? 2 : 1;
        return;
      }
      if (options.json) {
        const results = join(root, '.bench', 'results.json');
        const passthroughHelp = args.includes('--help') || args.includes('-h');
        if (!passthroughHelp) {
          if (!existsSync(results)) throw new CliError(`the benchmark wrote no ${results}`);
          process.stdout.write(readFileSync(results, 'utf8'));
        }
      }
    });
}
