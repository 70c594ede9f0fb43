/**
 * Running the real `redrive` binary as a child process in a temporary directory, and seeding its
 * default store (sqlite:./data/redrive.db) through the library.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  DeadLetterQueue,
  type FailureInput,
  PermanentError,
  Queue,
  SqliteStore,
  Worker,
} from '../../src/index.js';

export const BIN = fileURLToPath(new URL('../../bin/redrive.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { REDRIVE_STORE: _ignored, REDRIVE_ADMIN_TOKEN: _token, ...inherited } = process.env;
  return { ...inherited, REDRIVE_CLI_FROM_SOURCE: '1', ...env };
}

let inProcessTurn: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI's `main` in this process with `cwd` as the working directory and stdout/stderr
 * captured. Runs are serialized: the working directory and the streams are the process's own.
 */
export function runInProcess(cwd: string, args: string[]): Promise<Run> {
  const run = inProcessTurn.then(async () => {
    const { main } = await import('../../src/cli/main.js');
    const saved = {
      cwd: process.cwd(),
      out: process.stdout.write,
      err: process.stderr.write,
      exitCode: process.exitCode,
      store: process.env.REDRIVE_STORE,
    };
    let stdout = '';
    let stderr = '';
    process.stdout.write = ((chunk: unknown) => {
      stdout += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    process.exitCode = undefined;
    delete process.env.REDRIVE_STORE;
    process.chdir(cwd);
    try {
      const code = await main(['node', 'redrive', ...args]);
      return { code, stdout, stderr };
    } finally {
      process.chdir(saved.cwd);
      process.stdout.write = saved.out;
      process.stderr.write = saved.err;
      process.exitCode = saved.exitCode;
      if (saved.store !== undefined) process.env.REDRIVE_STORE = saved.store;
    }
  });
  inProcessTurn = run.catch(() => undefined);
  return run;
}

/** A temp working directory with helpers bound to it. */
export function cliSandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-cli-'));
  const dbPath = join(dir, 'data', 'redrive.db');

  function redrive(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { cwd: dir, env: childEnv(env), timeout: 25_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /**
   * Runs a bash script in the sandbox (for pipes, process substitution and FIFOs), in which the
   * function `redrive` runs the binary.
   */
  function shell(script: string, env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        'bash',
        ['-c', `redrive() { "$REDRIVE_NODE" "$REDRIVE_BIN" "$@"; }\n${script}`],
        {
          cwd: dir,
          env: childEnv({ REDRIVE_NODE: process.execPath, REDRIVE_BIN: BIN, ...env }),
          timeout: 25_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /**
   * Runs a command with --json, expects `code`, returns the parsed stdout. In this process (the
   * same `main` as the binary): the real binary is exercised by {@link redrive}, and a test with many
   * commands must not depend on how fast processes start on a busy machine.
   */
  async function json<T = Record<string, unknown>>(args: string[], code = 0): Promise<T> {
    const run = await inProcess([...args, '--json']);
    expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(code);
    return JSON.parse(run.stdout) as T;
  }

  /**
   * Runs a command in this process (no spawn: the same `main`, its output captured), for tests
   * that run many commands and must not depend on how fast processes start on a busy machine.
   */
  function inProcess(args: string[]): Promise<Run> {
    return runInProcess(dir, args);
  }

  /** Starts a long-running command; resolves its first stdout line. */
  function start(args: string[], env: Record<string, string> = {}) {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
    );
    return {
      child,
      exited,
      output: () => ({ stdout, stderr }),
      async firstLine(timeoutMs = 20_000): Promise<string> {
        await this.outputContaining('\n', timeoutMs);
        return stdout.split('\n')[0]!;
      },
      /** Waits until stdout contains `text`. */
      async outputContaining(text: string, timeoutMs = 20_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!stdout.includes(text)) {
          if (Date.now() > deadline)
            throw new Error(`no ${JSON.stringify(text)} in output; stderr: ${stderr}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  }

  /** Opens the default store, runs `fn`, closes it. */
  async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
    const store = new SqliteStore({ path: dbPath });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  /** Adds jobs; those named `bad` fail permanently when `run` processes them. */
  async function seedJobs(queue: string, names: string[], run: boolean): Promise<string[]> {
    return withStore(async (store) => {
      const q = new Queue(queue, { store });
      const ids: string[] = [];
      for (const name of names) ids.push((await q.add(name, { name, customer: { id: 7 } })).id);
      await q.close();
      if (run) {
        const worker = new Worker(
          queue,
          async (job) => {
            if (job.name === 'bad') throw new PermanentError(`job ${job.id} cannot be sent`);
          },
          { store, pollIntervalMs: 5 },
        );
        const expected = names.length;
        const deadline = Date.now() + 10_000;
        for (;;) {
          const c = await store.countJobs({ queue });
          if (c.completed + c.dead_lettered >= expected) break;
          if (Date.now() > deadline) throw new Error('seed worker did not finish');
          await new Promise((r) => setTimeout(r, 10));
        }
        await worker.close();
      }
      return ids;
    });
  }

  /** Stores dead letters through the library; returns their ids. */
  async function seedDeadLetters(inputs: Partial<FailureInput>[]): Promise<string[]> {
    return withStore(async (store) => {
      const dlq = new DeadLetterQueue({ store, fallbackPath: false });
      const ids: string[] = [];
      for (const input of inputs) {
        const r = await dlq.store({
          domain: 'payment',
          failureType: 'AMOUNT_MISMATCH',
          error: new Error('amount does not match'),
          payload: { customer: { id: 42 } },
          ...input,
        });
        ids.push(r.id!);
      }
      await dlq.close();
      return ids;
    });
  }

  return {
    dir,
    dbPath,
    redrive,
    shell,
    json,
    inProcess,
    start,
    withStore,
    seedJobs,
    seedDeadLetters,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type CliSandbox = ReturnType<typeof cliSandbox>;

/** An error is one line on stderr, without a stack. */
export function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}
