/**
 * The real binary's long-running commands: worker (until SIGINT or --duration), serve (the admin
 * server, until SIGINT), bench (passthrough to the harness), and enqueue --file's summary.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox, expectOneLineError } from './helpers.js';

let sb: CliSandbox;

beforeEach(() => {
  sb = cliSandbox();
});

afterEach(() => {
  sb.cleanup();
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('redrive worker', () => {
  it('runs a handler module until SIGINT, then shuts down gracefully and reports', async () => {
    writeFileSync(
      join(sb.dir, 'handler.mjs'),
      `export const queue = 'emails';
export default async function (job) {
  if (job.name === 'bad') { const e = new Error('mailbox full'); e.status = 422; throw e; }
  return { sent: job.payload.to };
}
`,
    );
    await sb.seedJobs('emails', ['ok', 'ok', 'bad'], false);
    const worker = sb.start(['worker', 'handler.mjs', '--json', '--concurrency', '2']);
    const started = JSON.parse(await worker.firstLine());
    expect(started).toMatchObject({
      event: 'started',
      queues: ['emails'],
      store: 'sqlite:./data/redrive.db',
    });
    await until(() =>
      sb.withStore(async (store) => {
        const c = await store.countJobs({ queue: 'emails' });
        return c.completed === 2 && c.dead_lettered === 1;
      }),
    );
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
    const lines = worker.output().stdout.split('\n');
    const stopped = JSON.parse(lines.slice(1).join('\n'));
    expect(stopped).toMatchObject({
      event: 'stopped',
      reason: 'SIGINT',
      workers: [expect.objectContaining({ queue: 'emails', completed: 2, deadLettered: 1, state: 'closed' })],
    });
  });

  it('serves the queues of exported tasks; --duration stops it; bad modules are one-line errors', async () => {
    const src = new URL('../../src/index.ts', import.meta.url).href;
    writeFileSync(
      join(sb.dir, 'tasks.mjs'),
      `import { defineTask, Queue, SqliteStore } from '${src}';
const store = new SqliteStore({ path: ':memory:' });
const reports = new Queue('reports', { store });
export const tasks = [
  defineTask(reports, 'build', async (payload) => ({ built: payload.day })),
  defineTask(reports, 'mail', async () => 'mailed'),
];
export const workerOptions = { concurrency: 3 };
`,
    );
    await sb.seedJobs('reports', ['build', 'mail'], false);
    const run = await sb.redrive(['worker', 'tasks.mjs', '--duration', '3s']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^serving reports from sqlite:\.\/data\/redrive\.db/);
    expect(run.stdout).toMatch(/^reports\s+2\s+0\s+0\s+0\s+0$/m);

    writeFileSync(join(sb.dir, 'bare.mjs'), 'export default async () => {};\n');
    const noQueue = await sb.redrive(['worker', 'bare.mjs']);
    expect(noQueue.code).toBe(2);
    expectOneLineError(noQueue, /give --queue <name>/);
    writeFileSync(join(sb.dir, 'empty.mjs'), 'export const x = 1;\n');
    const empty = await sb.redrive(['worker', 'empty.mjs']);
    expect(empty.code).toBe(1);
    expectOneLineError(empty, /exports no handler/);
    const missing = await sb.redrive(['worker', 'nope.mjs', '--queue', 'q']);
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /cannot find module nope\.mjs/);
  });
});

describe('redrive serve', () => {
  it('serves the admin API with a generated token until SIGINT', async () => {
    await sb.seedJobs('emails', ['bad'], true);
    const server = sb.start(['serve', '--port', '0', '--json']);
    const info = JSON.parse(await server.firstLine()) as {
      url: string;
      dashboardUrl: string;
      token: string;
      role: string;
    };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(info.dashboardUrl).toBe(`${info.url}#token=${info.token}`);
    expect(info.role).toBe('admin');
    const auth = { authorization: `Bearer ${info.token}` };
    expect(await (await fetch(`${info.url}api/whoami`, { headers: auth })).json()).toEqual({
      actor: 'admin',
      role: 'admin',
    });
    expect((await fetch(`${info.url}api/whoami`)).status).toBe(401);
    const list = (await (await fetch(`${info.url}api/dead-letters`, { headers: auth })).json()) as {
      items: { id: string; generation: number }[];
    };
    expect(list.items).toHaveLength(1);
    const retried = await fetch(`${info.url}api/dead-letters/${list.items[0]!.id}/retry`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ generation: list.items[0]!.generation }),
    });
    expect(await retried.json()).toMatchObject({ success: true, status: 'resolved' });
    const metrics = await (await fetch(`${info.url}metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^redrive_jobs\{queue="emails",state="waiting"\} 1$/m);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    // Logs are JSON lines on stderr, with the actor of each API request.
    expect(server.output().stderr).toMatch(/"actor":"admin"/);
  });

  it('uses given tokens and roles, and refuses a public address without them', async () => {
    const server = sb.start([
      'serve',
      '--create',
      '--port',
      '0',
      '--json',
      '--token',
      'viewer-secret-1:viewer:vera',
    ]);
    const info = JSON.parse(await server.firstLine()) as { url: string; token: string | null };
    expect(info.token).toBeNull();
    const r = await fetch(`${info.url}api/whoami`, { headers: { authorization: 'Bearer viewer-secret-1' } });
    expect(await r.json()).toEqual({ actor: 'vera', role: 'viewer' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const badRole = await sb.redrive(['serve', '--create', '--token', 'abcdefghijk:root']);
    expect(badRole.code).toBe(2);
    expectOneLineError(badRole, /role 'root'/);
    const short = await sb.redrive(['serve', '--create', '--port', '0', '--token', 'short']);
    expect(short.code).toBe(2);
    expectOneLineError(short, /tokens\.0\.token/);
  });
});

describe('redrive bench', () => {
  it('passes arguments through to the harness', async () => {
    const help = await sb.redrive(['bench', '--', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench -- \[--quick\]/);
    const bad = await sb.redrive(['bench', '--no-such-option']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown option --no-such-option/);
  });
});

describe('redrive enqueue --file', () => {
  it('prints a summary (and JSON with --json)', async () => {
    writeFileSync(
      join(sb.dir, 'jobs.jsonl'),
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i })).join('\n'),
    );
    const run = await sb.redrive(['enqueue', 'imports', 'row', '--file', 'jobs.jsonl']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'added 50 job(s) to imports from jobs.jsonl (0 duplicate(s), 0 bad line(s) skipped)\n',
    );
    const json = await sb.json<{ added: number; lines: number }>([
      'enqueue',
      'imports',
      'row',
      '--file',
      'jobs.jsonl',
    ]);
    expect(json).toMatchObject({ added: 50, lines: 50 });
  });
});
