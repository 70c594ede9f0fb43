/**
 * The real binary: list, retry and purge of jobs, and --help with examples on every command.
 */

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wrap } from '../../src/cli/format.js';
import { type CliSandbox, cliSandbox, expectOneLineError } from './helpers.js';

let sb: CliSandbox;

beforeEach(() => {
  sb = cliSandbox();
});

afterEach(() => {
  sb.cleanup();
});

interface JobJson {
  id: string;
  queue: string;
  name: string;
  state: string;
}

describe('redrive list', () => {
  it('lists jobs as JSON pages and as a table, filtered by queue and state', async () => {
    await sb.seedJobs('emails', ['ok', 'ok', 'bad'], true);
    await sb.seedJobs('reports', ['later'], false);

    const all = await sb.json<{ items: JobJson[]; nextAfterId: string | null }>(['list']);
    expect(all.items.map((j) => j.queue)).toEqual(['emails', 'emails', 'emails', 'reports']);
    expect(all.nextAfterId).toBeNull();

    const page = await sb.json<{ items: JobJson[]; nextAfterId: string }>(['list', 'emails', '--limit', '2']);
    expect(page.items).toHaveLength(2);
    const rest = await sb.json<{ items: JobJson[] }>([
      'list',
      'emails',
      '--limit',
      '2',
      '--after',
      page.nextAfterId,
    ]);
    expect(rest.items.map((j) => j.name)).toEqual(['bad']);

    const dead = await sb.json<{ items: JobJson[] }>(['list', '--state', 'dead_lettered,waiting']);
    expect(dead.items.map((j) => [j.queue, j.state])).toEqual([
      ['emails', 'dead_lettered'],
      ['reports', 'waiting'],
    ]);

    const table = await sb.redrive(['list', 'emails', '--state', 'dead_lettered']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+QUEUE\s+NAME\s+STATE\s+ATTEMPTS/);
    expect(table.stdout).toMatch(/emails\s+bad\s+dead_lettered\s+1\/3 .*cannot be sent/);

    const bad = await sb.redrive(['list', '--state', 'lost']);
    expect(bad.code).toBe(2);
    expectOneLineError(bad, /unknown state 'lost'/);
  });

  it('refuses to read a store that does not exist, without creating it', async () => {
    const run = await sb.redrive(['list', '--json']);
    expect(run.code).toBe(1);
    expectOneLineError(run, /no database at .*redrive\.db/);
  });

  it('a missing database is the same error, exit 1, for every reading command and serve (unless --create)', async () => {
    const commands = [['stats'], ['list'], ['dlq', 'list'], ['dlq', 'stats'], ['dlq', 'facets'], ['serve']];
    for (const command of commands) {
      for (const json of [[], ['--json']]) {
        const run = await sb.inProcess([...command, ...json]);
        expect({ command: command.join(' '), code: run.code }).toEqual({
          command: command.join(' '),
          code: 1,
        });
        expectOneLineError(
          run,
          /^redrive: no database at \.\/data\/redrive\.db \(sqlite:\.\/data\/redrive\.db\)/,
        );
      }
    }
    expect(existsSync(sb.dbPath)).toBe(false);
  });
});

describe('redrive output', () => {
  it('wraps long error text in table cells instead of cutting it, and keeps it whole in --json', async () => {
    const long = `the partner API refused the request because ${'the signature header was malformed '.repeat(4)}END`;
    await sb.seedDeadLetters([{ error: new Error(long) }]);
    const table = await sb.inProcess(['dlq', 'list']);
    expect(table.code).toBe(0);
    // The cell's lines, read in order with the other columns' padding collapsed, are the whole text.
    expect(table.stdout.replace(/\s+/g, ' ')).toContain(`Error: ${long}`);
    expect(table.stdout).not.toContain('…');
    const json = await sb.json<{ items: { errorMessage: string }[] }>(['dlq', 'list']);
    expect(json.items[0]?.errorMessage).toBe(long);
  });

  it('wrap() breaks at spaces within the width and cuts only words longer than it', () => {
    expect(wrap('aaa bbb ccc', 7)).toBe('aaa bbb\nccc');
    expect(wrap('abcdefghij', 4)).toBe('abcd\nefgh\nij');
    expect(wrap('  a\n b  ', 10)).toBe('a b');
    expect(wrap(null, 10)).toBe('');
  });

  it('says why a file cannot be read', async () => {
    const run = await sb.inProcess(['enqueue', 'emails', '--file', 'nope.jsonl']);
    expect(run.code).toBe(1);
    expectOneLineError(run, /cannot read nope\.jsonl: ENOENT: no such file or directory/);
  });

  it('serve --help gives each default once, and names every store URL form', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
    let text = '';
    serve.configureOutput({ writeOut: (s) => (text += s) });
    serve.outputHelp();
    expect(text.match(/7878/g)).toHaveLength(1);
    expect(text.replace(/\s+/g, ' ')).toMatch(
      /sqlite:<path>, redis:\/\/host:port\/db, redis\+cluster:\/\/host:port,host:port or postgres:\/\/host\/database/,
    );
    expect(text).toMatch(/--create/);
  });
});

describe('redrive retry', () => {
  it('retries dead-lettered jobs (their dead letters are replayed) and reports the others', async () => {
    const [okId, badId] = await sb.seedJobs('emails', ['ok', 'bad'], true);
    const dry = await sb.json<{ results: { jobId: string; ok: boolean; result: { dryRun: boolean } }[] }>([
      'retry',
      badId!,
      '--dry-run',
    ]);
    expect(dry.results).toEqual([
      expect.objectContaining({ jobId: badId, ok: true, result: expect.objectContaining({ dryRun: true }) }),
    ]);

    const run = await sb.json<{
      results: {
        jobId: string;
        ok: boolean;
        result: { status: string; jobId: string } | null;
        error: { code: string } | null;
      }[];
    }>(['retry', badId!, okId!, '999', '--actor', 'alice'], 1);
    expect(run.results[0]).toMatchObject({ jobId: badId, ok: true, result: { status: 'resolved' } });
    expect(run.results[1]).toMatchObject({ jobId: okId, ok: false, error: { code: 'STATE_CONFLICT' } });
    expect(run.results[2]).toMatchObject({ jobId: '999', ok: false, error: { code: 'NOT_FOUND' } });
    const newJob = run.results[0]!.result!.jobId;
    const jobs = await sb.json<{ items: JobJson[] }>(['list', 'emails', '--state', 'waiting']);
    expect(jobs.items.map((j) => j.id)).toEqual([newJob]);
    const audit = await sb.withStore((store) => store.listAudit({ limit: 10 }));
    expect(audit.items.some((e) => e.actor === 'alice')).toBe(true);

    const table = await sb.redrive(['retry', okId!]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/only dead-lettered jobs can be retried/);
  });
});

describe('redrive purge', () => {
  it('deletes jobs of the given states, never active ones, optionally only older ones', async () => {
    await sb.seedJobs('emails', ['ok', 'ok', 'bad'], true);
    await sb.seedJobs('emails', ['fresh'], false);
    const young = await sb.json<{ removed: number }>([
      'purge',
      'emails',
      '--state',
      'completed',
      '--older-than',
      '1h',
    ]);
    expect(young.removed).toBe(0);
    const done = await sb.json<{ removed: number; states: string[] }>([
      'purge',
      'emails',
      '--state',
      'completed,dead_lettered',
    ]);
    expect(done).toMatchObject({ removed: 3, states: ['completed', 'dead_lettered'] });
    const stats = await sb.json<{ totals: { total: number; waiting: number } }>(['stats']);
    expect(stats.totals).toMatchObject({ total: 1, waiting: 1 });
    // Dead letters outlive their job rows.
    const dlq = await sb.json<{ total: number }>(['dlq', 'list']);
    expect(dlq.total).toBe(1);

    const text = await sb.redrive(['purge', '--state', 'waiting']);
    expect(text.stdout).toBe('removed 1 waiting job(s) from every queue\n');

    const active = await sb.redrive(['purge', '--state', 'active']);
    expect(active.code).toBe(2);
    expectOneLineError(active, /active jobs cannot be purged/);
    const missing = await sb.redrive(['purge', 'emails']);
    expect(missing.code).toBe(2);
    expectOneLineError(missing, /required option '--state <states>' not specified/);
    const badAge = await sb.redrive(['purge', '--state', 'completed', '--older-than', 'soon']);
    expect(badAge.code).toBe(2);
  });
});

describe('redrive --help', () => {
  it('every command has help with examples', async () => {
    // Every command of the program, found by walking it (a new command cannot be forgotten), and
    // its help rendered in this process: no process spawn per command.
    const { buildProgram } = await import('../../src/cli/main.js');
    const helps: [string, string][] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        const name = [...path, sub.name()];
        let text = '';
        sub.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
        sub.outputHelp();
        helps.push([name.join(' '), text]);
        walk(sub, name);
      }
    };
    walk(buildProgram(), []);
    expect(helps.map(([name]) => name)).toEqual(
      expect.arrayContaining(['stats', 'dlq list', 'serve', 'bench']),
    );
    for (const [name, text] of helps) {
      expect(text, name).toMatch(/Examples:\n {2}redrive /);
      if (name !== 'dlq' && name !== 'bench') expect(text, name).toMatch(/--json/);
    }
    // And once through the real binary.
    const run = await sb.redrive(['dlq', 'list', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples:\n {2}redrive dlq list/);
  });
});
