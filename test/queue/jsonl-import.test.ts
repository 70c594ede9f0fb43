import { execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Job, ValidationError } from '../../src/index.js';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

function file(name: string, lines: string[]): string {
  const path = join(h.dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

function spools(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('redrive-import-'));
}

async function allJobs(): Promise<Job[]> {
  return h.store.listJobs({ queue: 'imports', limit: 1000 });
}

describe('Queue.addFromFile (JSONL)', () => {
  it('imports entry lines and bare payload lines', async () => {
    const q = h.queue('imports');
    const path = file('good.jsonl', [
      '{"name": "welcome", "payload": {"user": 1}, "options": {"priority": "high", "delay": 5000}}',
      '{"payload": {"user": 2}}',
      '',
      '{"user": 3}',
      '[1, 2, 3]',
      '"just a string"',
      '   ',
      '42',
      'null',
    ]);
    const result = await q.addFromFile(path, { name: 'bare' });
    expect(result).toEqual({ added: 7, duplicates: 0, skipped: [], lines: 7 });
    const jobs = await allJobs();
    expect(jobs.map((j) => [j.name, j.payload])).toEqual([
      ['welcome', { user: 1 }],
      ['bare', { user: 2 }],
      ['bare', { user: 3 }],
      ['bare', [1, 2, 3]],
      ['bare', 'just a string'],
      ['bare', 42],
      ['bare', null],
    ]);
    expect(jobs[0]).toMatchObject({ priority: 2, state: 'scheduled', runAt: h.t0 + 5000 });
    expect(jobs[1]).toMatchObject({ priority: 1, state: 'waiting' });
  });

  it('names bare payload lines `default` unless told otherwise, and reads CRLF files', async () => {
    const q = h.queue('imports');
    const path = join(h.dir, 'crlf.jsonl');
    writeFileSync(path, '{"a":1}\r\n{"a":2}\r\n');
    expect(await q.addFromFile(path)).toMatchObject({ added: 2, lines: 2 });
    expect((await allJobs()).map((j) => [j.name, j.payload])).toEqual([
      ['default', { a: 1 }],
      ['default', { a: 2 }],
    ]);
  });

  it('refuses the whole file on a bad line, naming its line number, and imports nothing', async () => {
    const q = h.queue('imports');
    const path = file('bad.jsonl', ['{"a": 1}', '', '{"a": 2', '{"a": 3}']);
    const error = await q.addFromFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('line 3');
    expect((error as ValidationError).message).toMatch(/^line 3: is not valid JSON/);
    expect(await allJobs()).toEqual([]);
  });

  it('reports invalid options and payloads with the line and the field', async () => {
    const q = h.queue('imports');
    const bad = file('opts.jsonl', [
      '{"a": 1}',
      '{"name": "x", "payload": 1, "options": {"priority": "urgent"}}',
    ]);
    await expect(q.addFromFile(bad)).rejects.toMatchObject({ field: 'line 2.options.priority' });
    const noName = file('name.jsonl', ['{"name": "", "payload": 1}']);
    await expect(q.addFromFile(noName)).rejects.toMatchObject({ field: 'line 1.name' });
    const tooBig = h.queue('imports', { maxPayloadBytes: 20 });
    const big = file('big.jsonl', ['{"ok": 1}', `{"blob": "${'x'.repeat(50)}"}`]);
    await expect(tooBig.addFromFile(big)).rejects.toMatchObject({ field: 'line 2.payload' });
    expect(await allJobs()).toEqual([]);
  });

  it('skipInvalid imports the good lines and reports the skipped ones', async () => {
    const q = h.queue('imports');
    const path = file('mixed.jsonl', [
      '{"n": 1}',
      'not json',
      '{"n": 3}',
      '{"name": "x", "payload": 4, "options": {"maxAttempts": 0}}',
      '',
      '{"n": 6}',
    ]);
    const result = await q.addFromFile(path, { skipInvalid: true });
    expect(result.added).toBe(3);
    expect(result.lines).toBe(5);
    expect(result.skipped).toEqual([
      { line: 2, message: expect.stringMatching(/^line 2: is not valid JSON/) },
      { line: 4, message: expect.stringMatching(/^line 4\.options\.maxAttempts: /) },
    ]);
    expect((await allJobs()).map((j) => j.payload)).toEqual([{ n: 1 }, { n: 3 }, { n: 6 }]);
  });

  it('counts idempotent duplicates, inserts in batches and reports progress', async () => {
    const q = h.queue('imports');
    await q.add('x', 'existing', { idempotencyKey: 'k1' });
    const lines = [
      '{"name": "x", "payload": "dup", "options": {"idempotencyKey": "k1"}}',
      ...Array.from({ length: 9 }, (_, i) => JSON.stringify({ i })),
    ];
    const progress: { added: number; total: number }[] = [];
    const result = await q.addFromFile(file('dups.jsonl', lines), {
      batchSize: 4,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ added: 9, duplicates: 1, lines: 10 });
    expect(progress).toEqual([
      { added: 4, total: 10 },
      { added: 8, total: 10 },
      { added: 10, total: 10 },
    ]);
    expect(await allJobs()).toHaveLength(10);
  });

  it('refuses a missing file and a bad batchSize', async () => {
    const q = h.queue('imports');
    await expect(q.addFromFile(join(h.dir, 'missing.jsonl'))).rejects.toMatchObject({ field: 'path' });
    await expect(q.addFromFile(file('x.jsonl', ['1']), { batchSize: 0 })).rejects.toMatchObject({
      field: 'batchSize',
    });
  });
});

describe('Queue.addFromFile from sources that can be read once', () => {
  const lines = Array.from({ length: 9 }, (_, i) => JSON.stringify({ i }));

  it('imports exactly what a named FIFO carries (read once, spooled)', async () => {
    const q = h.queue('imports');
    const fifo = join(h.dir, 'jobs.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = writeFile(fifo, `${lines.join('\n')}\n`);
    const result = await q.addFromFile(fifo);
    await writer;
    expect(result).toEqual({ added: 9, duplicates: 0, skipped: [], lines: 9 });
    expect((await allJobs()).map((j) => j.payload)).toEqual(lines.map((l) => JSON.parse(l)));
  });

  it('adds nothing from a FIFO with a bad line, and only the good lines with skipInvalid', async () => {
    const q = h.queue('imports');
    const fifo = join(h.dir, 'bad.fifo');
    execFileSync('mkfifo', [fifo]);
    const content = `{"i": 1}\nnot json\n{"i": 3}\n`;
    const writer = writeFile(fifo, content);
    await expect(q.addFromFile(fifo)).rejects.toMatchObject({ field: 'line 2' });
    await writer;
    expect(await allJobs()).toEqual([]);
    const again = writeFile(fifo, content);
    const result = await q.addFromFile(fifo, { skipInvalid: true });
    await again;
    expect(result).toMatchObject({ added: 2, lines: 3, skipped: [{ line: 2 }] });
    expect((await allJobs()).map((j) => j.payload)).toEqual([{ i: 1 }, { i: 3 }]);
  });

  it('leaves no spool file behind', async () => {
    const q = h.queue('imports');
    const fifo = join(h.dir, 'spool.fifo');
    execFileSync('mkfifo', [fifo]);
    const before = spools();
    const writer = writeFile(fifo, `${lines.join('\n')}\n`);
    await q.addFromFile(fifo);
    await writer;
    expect(spools()).toEqual(before);
  });

  it('imports a regular file only as large as it was when opened', async () => {
    const q = h.queue('imports');
    const path = file('growing.jsonl', ['{"i": 1}', '{"i": 2}', '']);
    let grown = false;
    const result = await q.addFromFile(path, {
      batchSize: 1,
      onProgress: () => {
        if (!grown) appendFileSync(path, 'not json\n{"i": 4}\n');
        grown = true;
      },
    });
    expect(result).toMatchObject({ added: 2, lines: 2 });
    expect((await allJobs()).map((j) => j.payload)).toEqual([{ i: 1 }, { i: 2 }]);
  });
});

describe('Queue.addFromFile refuses what it would otherwise ignore', () => {
  it('refuses a mistyped option key, naming it and the nearest valid one', async () => {
    const q = h.queue('imports');
    const path = file('typo.jsonl', ['{"name": "x", "payload": 1, "options": {"delya": 60000}}']);
    const error = (await q.addFromFile(path).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('line 1.options.delya');
    expect(error.message).toMatch(/did you mean 'delay'\?/);
    expect(await allJobs()).toEqual([]);
  });

  it('refuses an array, a string or null where the options object belongs', async () => {
    const q = h.queue('imports');
    for (const options of ['[60000]', '"delay"', 'null', '5']) {
      const path = file('array.jsonl', [`{"name": "x", "payload": 1, "options": ${options}}`]);
      await expect(q.addFromFile(path)).rejects.toMatchObject({ field: 'line 1.options' });
    }
    expect(await allJobs()).toEqual([]);
  });

  it('refuses an entry line with a key beside name, payload and options', async () => {
    const q = h.queue('imports');
    const path = file('entry.jsonl', ['{"name": "x", "payload": 1, "optoins": {"delay": 5}}']);
    const error = (await q.addFromFile(path).catch((e: unknown) => e)) as ValidationError;
    expect(error.field).toBe('line 1.optoins');
    expect(error.message).toMatch(/did you mean 'options'\?/);
  });

  it('refuses a mistyped backoff key', async () => {
    const q = h.queue('imports');
    const path = file('backoff.jsonl', [
      '{"name": "x", "payload": 1, "options": {"backoff": {"type": "fixed", "delay": 5}}}',
    ]);
    const error = (await q.addFromFile(path).catch((e: unknown) => e)) as ValidationError;
    expect(error.field).toBe('line 1.options.backoff.delay');
    expect(error.message).toMatch(/did you mean 'delayMs'\?/);
  });

  it('keeps a payload key named __proto__ as data and refuses it as an option', async () => {
    const q = h.queue('imports');
    const path = file('proto.jsonl', [
      '{"name": "x", "payload": {"__proto__": {"polluted": 1}, "x": 1}}',
      '{"name": "y", "payload": 2, "options": {"__proto__": {"delay": 5}}}',
    ]);
    await expect(q.addFromFile(path)).rejects.toMatchObject({ field: 'line 2.options.__proto__' });
    const result = await q.addFromFile(path, { skipInvalid: true });
    expect(result.added).toBe(1);
    const [job] = await allJobs();
    expect(Object.hasOwn(job!.payload as object, '__proto__')).toBe(true);
    expect(JSON.stringify(job!.payload)).toBe('{"__proto__":{"polluted":1},"x":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
