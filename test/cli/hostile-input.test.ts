/**
 * The real binary against careless and hostile input: JSONL from pipes, process substitution and
 * FIFOs; mistyped option keys; dead-letter actions guarded by generation; strict times; secrets
 * kept off the command line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox } from './helpers.js';

let sb: CliSandbox;

beforeEach(() => {
  sb = cliSandbox();
});

afterEach(() => {
  sb.cleanup();
});

const OK9 = `${Array.from({ length: 9 }, (_, i) => JSON.stringify({ i })).join('\n')}\n`;

async function waitingIn(queue: string): Promise<number> {
  return sb.withStore(async (store) => (await store.countJobs({ queue })).waiting);
}

describe('redrive enqueue --file from sources read once', () => {
  it('imports every line of a pipe (--file /dev/stdin)', async () => {
    writeFileSync(join(sb.dir, 'ok9.jsonl'), OK9);
    const run = await sb.shell('cat ok9.jsonl | redrive enqueue q --file /dev/stdin --json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 9, duplicates: 0, skipped: [], lines: 9 });
    expect(await waitingIn('q')).toBe(9);
  });

  it('imports every line of a process substitution', async () => {
    writeFileSync(join(sb.dir, 'ok9.jsonl'), OK9);
    const run = await sb.shell('redrive enqueue q --file <(cat ok9.jsonl) --json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 9, skipped: [], lines: 9 });
    expect(await waitingIn('q')).toBe(9);
  });

  it('imports every line of a named FIFO', async () => {
    writeFileSync(join(sb.dir, 'ok9.jsonl'), OK9);
    const run = await sb.shell(
      'mkfifo jobs.fifo && (cat ok9.jsonl > jobs.fifo &) && redrive enqueue q --file jobs.fifo --json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 9, lines: 9 });
    expect(await waitingIn('q')).toBe(9);
  });

  it('adds nothing from a pipe with a bad line', async () => {
    const bad = await sb.shell(`printf '{"i":1}\\nnot json\\n' | redrive enqueue q --file /dev/stdin --json`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 2: is not valid JSON.*nothing was added/);
    expect(await waitingIn('q')).toBe(0);
  });

  it('refuses a mistyped option key of a line, adding nothing', async () => {
    writeFileSync(
      join(sb.dir, 'typo.jsonl'),
      '{"name":"a","payload":1}\n{"name":"b","payload":2,"options":{"delya":60000}}\n',
    );
    const run = await sb.redrive(['enqueue', 'q', '--file', 'typo.jsonl']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 2\.options\.delya: is not a known option \(did you mean 'delay'\?\)/);
    expect(await waitingIn('q')).toBe(0);
  });
});

describe('redrive dlq resolve --generation', () => {
  async function seededGeneration(): Promise<{ id: string; generation: number }> {
    const [id] = await sb.seedDeadLetters([{}]);
    const entry = await sb.withStore((store) => store.getDeadLetter({ id: id! }));
    return { id: id!, generation: entry!.generation };
  }

  it('resolves only an entry still at the generation the operator saw', async () => {
    const { id, generation } = await seededGeneration();
    const stale = await sb.redrive(['dlq', 'resolve', id, '--generation', String(generation + 1), '--json']);
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({
      resolved: [],
      skipped: [{ id, reason: 'stale_generation', status: 'pending' }],
    });
    const fresh = await sb.json(['dlq', 'resolve', id, '--generation', String(generation)]);
    expect(fresh).toMatchObject({ resolved: [id], skipped: [] });
  });

  it('checks the generation in a dry run too', async () => {
    const { id, generation } = await seededGeneration();
    const dry = await sb.json(['dlq', 'resolve', id, '--generation', String(generation + 1), '--dry-run'], 1);
    expect(dry).toMatchObject({ resolved: [], skipped: [{ id, reason: 'stale_generation' }] });
  });

  it('is a usage error with several ids', async () => {
    const two = await sb.redrive(['dlq', 'resolve', 'dl_a', 'dl_b', '--generation', '1']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--generation applies to one id only/);
  });
});

describe('strict times on the command line', () => {
  it('refuses date text that is not ISO 8601', async () => {
    const run = await sb.redrive(['dlq', 'list', '--from', 'March 7']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/expected an ISO 8601 date/);
  });

  it('accepts an ISO 8601 date', async () => {
    await sb.seedDeadLetters([{}]);
    const list = await sb.json<{ total: number }>(['dlq', 'list', '--from', '2000-01-01T00:00:00Z']);
    expect(list.total).toBe(1);
  });
});

describe('redrive serve tokens', () => {
  it('reads a token from --token-file, and warns about one given with --token', async () => {
    writeFileSync(join(sb.dir, 'ops.token'), 'ops-secret-0001:operator:otto\n');
    const server = sb.start([
      'serve',
      '--create',
      '--port',
      '0',
      '--json',
      '--token-file',
      'ops.token',
      '--token',
      'cli-secret-0001:viewer:vera',
    ]);
    const info = JSON.parse(await server.firstLine()) as { url: string; token: string | null };
    expect(info.token).toBeNull();
    const whoami = async (token: string) =>
      (await fetch(`${info.url}api/whoami`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(await whoami('ops-secret-0001')).toEqual({ actor: 'otto', role: 'operator' });
    expect(await whoami('cli-secret-0001')).toEqual({ actor: 'vera', role: 'viewer' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output().stderr).toMatch(/warning: --token puts the secret in the process list/);
  });

  it('reads a token from REDRIVE_ADMIN_TOKEN, without a warning', async () => {
    const server = sb.start(['serve', '--create', '--port', '0', '--json'], {
      REDRIVE_ADMIN_TOKEN: 'env-secret-0001:admin:ada',
    });
    const info = JSON.parse(await server.firstLine()) as { url: string; token: string | null };
    expect(info.token).toBeNull();
    const r = await fetch(`${info.url}api/whoami`, { headers: { authorization: 'Bearer env-secret-0001' } });
    expect(await r.json()).toEqual({ actor: 'ada', role: 'admin' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output().stderr).not.toMatch(/warning: --token/);
  });

  it('refuses an unreadable or malformed --token-file', async () => {
    const missing = await sb.redrive(['serve', '--port', '0', '--token-file', 'nope.token']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read --token-file nope\.token/);
    writeFileSync(join(sb.dir, 'two.token'), 'a:viewer\nb:admin\n');
    const two = await sb.redrive(['serve', '--port', '0', '--token-file', 'two.token']);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/must hold one token/);
  });
});
