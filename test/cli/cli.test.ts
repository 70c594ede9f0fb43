/**
 * The real `redrive` binary, run as a child process against a database in a temporary directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/redrive.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;

function redrive(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { REDRIVE_STORE: _ignored, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { ...inherited, REDRIVE_CLI_FROM_SOURCE: '1', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** An error is one line on stderr, without a stack. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-cli-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('redrive CLI', () => {
  it('stats on a store that does not exist fails like every reading command (exit 1) and creates nothing', async () => {
    const run = await redrive(['stats', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^redrive: no database at \.\/data\/redrive\.db/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('enqueue then stats counts the jobs per queue and state', async () => {
    const first = await redrive([
      'enqueue',
      'emails',
      'send-welcome',
      '--payload',
      '{"to":"ada@example.com"}',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/enqueued job \d+ \(send-welcome\) in emails/);

    const delayed = await redrive([
      'enqueue',
      'emails',
      'digest',
      '--delay',
      '60000',
      '--priority',
      'low',
      '--json',
    ]);
    expect(delayed.code).toBe(0);
    expect(JSON.parse(delayed.stdout)).toMatchObject({ queue: 'emails', name: 'digest', created: true });

    expect((await redrive(['enqueue', 'reports', 'build'])).code).toBe(0);

    const stats = await redrive(['stats', '--json']);
    expect(stats.code).toBe(0);
    const report = JSON.parse(stats.stdout);
    expect(report.queues).toEqual([
      expect.objectContaining({ name: 'emails', paused: false, waiting: 1, scheduled: 1, total: 2 }),
      expect.objectContaining({ name: 'reports', waiting: 1, total: 1 }),
    ]);
    expect(report.totals).toMatchObject({ waiting: 2, scheduled: 1, total: 3 });
    // No worker ran: nobody leads the store's maintenance.
    expect(report.leader).toBeNull();

    const table = await redrive(['stats']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^QUEUE\s+PAUSED\s+SCHEDULED\s+WAITING/);
    expect(table.stdout).toMatch(/^emails\s+no\s+1\s+1\s+0\s+0\s+0\s+2$/m);
    expect(table.stdout).toMatch(/^maintenance: nobody leads/m);
  });

  it('enqueue --file refuses a file with a bad line (naming it) unless --skip-invalid', async () => {
    writeFileSync(
      join(dir, 'jobs.jsonl'),
      '{"name":"a","payload":{"n":1}}\n{"n":2}\n\nnot json\n{"name":"b","payload":3,"options":{"priority":"high"}}\n',
    );
    const refused = await redrive(['enqueue', 'imports', 'bare', '--file', 'jobs.jsonl']);
    expect(refused.code).toBe(1);
    expectOneLineError(refused, /line 4: is not valid JSON.*nothing was added/);

    const skipped = await redrive([
      'enqueue',
      'imports',
      'bare',
      '--file',
      'jobs.jsonl',
      '--skip-invalid',
      '--json',
    ]);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      queue: 'imports',
      added: 3,
      duplicates: 0,
      lines: 4,
      skipped: [{ line: 4 }],
    });
    const report = JSON.parse((await redrive(['stats', '--json'])).stdout);
    expect(report.totals.waiting).toBe(3);
  });

  it('a usage error exits 2 with one line on stderr', async () => {
    const missing = await redrive(['enqueue', 'emails']);
    expect(missing.code).toBe(2);
    expectOneLineError(missing, /^redrive: missing argument 'name'/);

    const unknown = await redrive(['stats', '--bogus']);
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown, /unknown option '--bogus'/);

    const badJson = await redrive(['enqueue', 'emails', 'x', '--payload', '{nope']);
    expect(badJson.code).toBe(2);
    expectOneLineError(badJson, /--payload is not valid JSON/);

    const help = await redrive(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/stats/);
    expect(help.stdout).toMatch(/enqueue/);
  });

  it('a bad store URL exits 1 with a clear one-line error', async () => {
    const redis = await redrive(['stats', '--store', 'redis://127.0.0.1:6379/x']);
    expect(redis.code).toBe(1);
    expectOneLineError(redis, /the path must be a database number/);

    const fromEnv = await redrive(['stats'], { REDRIVE_STORE: 'postgres://localhost/jobs?schema=no-dashes' });
    expect(fromEnv.code).toBe(1);
    expectOneLineError(fromEnv, /must be a plain identifier/);

    const unknownScheme = await redrive(['stats', '--store', 'mysql://localhost/jobs']);
    expect(unknownScheme.code).toBe(1);
    expectOneLineError(unknownScheme, /unsupported store URL scheme 'mysql:'/);

    const notUrl = await redrive(['enqueue', 'emails', 'x', '--store', 'jobs.db']);
    expect(notUrl.code).toBe(1);
    expectOneLineError(notUrl, /'jobs\.db' is not a store URL/);

    writeFileSync(
      join(dir, 'corrupt.db'),
      'this is not a database, just text that is long enough\n'.repeat(20),
    );
    const corrupt = await redrive(['stats', '--store', 'sqlite:./corrupt.db']);
    expect(corrupt.code).toBe(1);
    expectOneLineError(corrupt, /not a SQLite database/);
  });

  it('REDRIVE_STORE picks the store when --store is not given', async () => {
    const env = { REDRIVE_STORE: 'sqlite:./elsewhere/jobs.db' };
    expect((await redrive(['enqueue', 'emails', 'x'], env)).code).toBe(0);
    expect(existsSync(join(dir, 'elsewhere', 'jobs.db'))).toBe(true);
    const report = JSON.parse((await redrive(['stats', '--json'], env)).stdout);
    expect(report.store).toBe('sqlite:./elsewhere/jobs.db');
    expect(report.totals.waiting).toBe(1);
  });
});
