/**
 * Starts and kills the worker processes of `redrive chaos`. A worker runs the module
 * worker-process.ts: from the TypeScript sources through tsx in a checkout, or the built
 * `cli/chaos-worker.js` of an installed package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli-error.js';
import type { ChaosWorkerConfig, ChaosWorkerMessage } from './worker-process.js';

/** The worker module, and the node arguments that run it. */
function workerCommand(): string[] {
  const source = new URL('./worker-process.ts', import.meta.url);
  if (existsSync(fileURLToPath(source))) {
    let tsx: string;
    try {
      tsx = import.meta.resolve('tsx');
    } catch {
      throw new CliError('tsx is not installed: the chaos workers run from the TypeScript sources');
    }
    return ['--import', tsx, fileURLToPath(source)];
  }
  for (const candidate of ['./chaos-worker.js', './cli/chaos-worker.js', '../cli/chaos-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return [fileURLToPath(url)];
  }
  throw new CliError('the chaos worker module (cli/chaos-worker.js) is missing: rebuild redrive');
}

/** A running chaos worker process. */
export interface ChaosWorkerHandle {
  readonly workerId: string;
  readonly child: ChildProcess;
  /** Resolves once the worker runs; rejects when it exits first or takes longer than `readyTimeoutMs`. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGKILLs the process and waits for it to exit. */
  kill(): Promise<void>;
  /** Asks the worker to finish its running jobs and close; SIGKILLs it after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Spawns one worker; every message it sends goes to `onMessage`. */
export function spawnChaosWorker(
  config: ChaosWorkerConfig,
  onMessage: (message: ChaosWorkerMessage, workerId: string) => void,
  readyTimeoutMs = 60_000,
): ChaosWorkerHandle {
  const child = spawn(process.execPath, [...workerCommand(), JSON.stringify(config)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, REDRIVE_CHAOS_WORKER: '1' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${config.workerId} was not ready within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    child.on('message', (message: ChaosWorkerMessage) => {
      if (message.t === 'ready') {
        clearTimeout(timer);
        resolve();
      }
      onMessage(message, config.workerId);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `worker ${config.workerId} exited (${signal ?? code}) before it was ready: ${stderr.trim()}`,
        ),
      );
    });
  });
  // A kill before ready is reported by whoever awaits `ready`, not as an unhandled rejection.
  ready.catch(() => undefined);
  return {
    workerId: config.workerId,
    child,
    ready,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}
