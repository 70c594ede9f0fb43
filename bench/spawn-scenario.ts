/**
 * Runs one scenario in a fresh `node --import tsx bench/scenario.ts` process and returns the JSON
 * line it prints. A crash or timeout becomes a result with `error` set.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Synchronous } from './result.js';
import type { ScenarioName } from './scenarios.js';

const SCENARIO_SCRIPT = fileURLToPath(new URL('./scenario.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function failed(scenario: ScenarioName, synchronous: Synchronous, error: string): BenchResult {
  return {
    scenario,
    synchronous,
    jobs: 0,
    seconds: 0,
    jobsPerSec: 0,
    peakRssMb: 0,
    rssStartMb: 0,
    rssEndMb: 0,
    error,
  };
}

export function runScenario(
  scenario: ScenarioName,
  synchronous: Synchronous,
  quick: boolean,
  timeoutMs = 10 * 60_000,
  store: string = 'sqlite',
): Promise<BenchResult> {
  const load1 = Math.round(loadavg()[0]! * 100) / 100;
  const args = [
    '--import',
    'tsx',
    SCENARIO_SCRIPT,
    scenario,
    synchronous,
    ...(quick ? ['--quick'] : []),
    ...(store === 'sqlite' ? [] : ['--store', store]),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(failed(scenario, synchronous, `timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(failed(scenario, synchronous, error.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (line) {
        try {
          return resolve({ ...(JSON.parse(line) as BenchResult), load1 });
        } catch {
          // fall through
        }
      }
      resolve(failed(scenario, synchronous, `exited with ${signal ?? `code ${code}`} and no result`));
    });
  });
}
