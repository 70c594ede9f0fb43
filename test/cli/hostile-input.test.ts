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

  it('imports every line of a named FIFO, and nothing from one with a bad line', async () => {
    writeFileSync(join(sb.dir, 'ok9.jsonl'), OK9);
    const run = await sb.shell(
      'mkfifo jobs.fifo && (cat ok9.jsonl > jobs.fifo &) && redrive enqueue q --file jobs.fifo --json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 9, lines: 9 });
    const bad = await sb.shell(
      `(printf '{"i":1}\\nnot json\\n' > jobs.fifo &) && redrive enqueue q --file jobs.fifo --json`,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 2: is not valid JSON.*nothing was added/);
    expect(await waitingIn('q')).toBe(9);
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
