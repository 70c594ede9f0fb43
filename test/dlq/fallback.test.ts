import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

let h: DlqHarness;
beforeEach(() => {
  h = createDlqHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

async function allIds(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await h.dlq.list({}, { pageSize: 100, ...(cursor ? { cursor } : {}) });
    ids.push(...page.results.map((r) => r.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}

describe('fallback file', () => {
  it('takes the record when the store write fails, with an event and a count', async () => {
    const events: unknown[] = [];
    h.dlq.on('dead_letter.fallback', (e) => events.push(e));
    h.faults.down.add('insertDeadLetters');
    const r = await h.dlq.store({ domain: 'payment', failureType: 'timeout', entityId: 'o-1' });
    expect(r).toMatchObject({
      success: true,
      id: expect.any(String),
      error: 'injected: insertDeadLetters is down',
      fallbackPath: h.fallbackPath,
    });
    expect(events).toEqual([{ id: r.id, path: h.fallbackPath, error: expect.any(StoreUnavailableError) }]);
    expect(h.dlq.metrics()).toMatchObject({ stored: 0, storeFailures: 1, fallbackWrites: 1, lost: 0 });
    const [line] = lines(h.fallbackPath);
    expect(JSON.parse(line!)).toMatchObject({
      v: 1,
      at: h.t0,
      record: { id: r.id, domain: 'payment', entityId: 'o-1' },
    });
    h.faults.down.delete('insertDeadLetters');
    expect(await h.dlq.get(r.id!)).toBeNull();
  });

  it('store failure -> fallback -> recovery: nothing lost, nothing doubled', async () => {
    const expected: string[] = [];
    for (let round = 0; round < 10; round++) {
      if (round % 3 === 1) h.faults.down.add('insertDeadLetters');
      else h.faults.down.delete('insertDeadLetters');
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.dlq.store({ domain: 'd', failureType: 'f', entityId: `${round}-${i}` }),
        ),
      );
      expect(results.every((r) => r.success)).toBe(true);
      expected.push(...results.map((r) => r.id!));
      h.clock.advance(1000);
    }
    h.faults.down.delete('insertDeadLetters');
    expect(h.dlq.metrics().fallbackWrites).toBe(150);
    expect(lines(h.fallbackPath)).toHaveLength(150);
    expect(await allIds()).toHaveLength(350);

    const recovered: unknown[] = [];
    h.dlq.on('dead_letter.fallback_recovered', (e) => recovered.push(e));
    const result = await h.dlq.recoverFallback({ batchSize: 40 });
    expect(result).toMatchObject({ imported: 150, duplicates: 0, rejected: 0 });
    expect(recovered).toEqual([{ imported: 150, duplicates: 0, rejected: 0, path: h.fallbackPath }]);
    expect(existsSync(h.fallbackPath)).toBe(false);
    const ids = await allIds();
    expect(ids).toHaveLength(500);
    expect(new Set(ids)).toEqual(new Set(expected));
    // Idempotent: a second recovery has nothing to do.
    expect(await h.dlq.recoverFallback()).toMatchObject({ imported: 0, duplicates: 0, files: [] });
    expect(await allIds()).toHaveLength(500);
    expect(h.dlq.metrics()).toMatchObject({ fallbackRecovered: 150, fallbackDuplicates: 0 });
  });

  it('a crash mid-import is finished by the next recovery without duplicates', async () => {
    h.faults.down.add('insertDeadLetters');
    const first = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        h.dlq.store({ domain: 'd', failureType: 'f', entityId: String(i) }),
      ),
    );
    h.faults.down.delete('insertDeadLetters');
    // The store takes the first batch and then goes down again (the process "crashes" mid-import).
    let imports = 0;
    const original = h.sqlite.insertDeadLetters.bind(h.sqlite);
    h.sqlite.insertDeadLetters = async (params) => {
      imports++;
      if (imports > 1) throw new StoreUnavailableError('down again');
      return original(params);
    };
    await expect(h.dlq.recoverFallback({ batchSize: 50 })).rejects.toThrow('down again');
    expect(existsSync(`${h.fallbackPath}.recovering`)).toBe(true);
    expect(await allIds()).toHaveLength(50);
    // Meanwhile new failures keep arriving in a fresh file.
    h.faults.down.add('insertDeadLetters');
    const later = await h.dlq.store({ domain: 'd', failureType: 'f', entityId: 'later' });
    h.faults.down.delete('insertDeadLetters');
    expect(lines(h.fallbackPath)).toHaveLength(1);

    h.sqlite.insertDeadLetters = original;
    const result = await h.dlq.recoverFallback({ batchSize: 50 });
    expect(result).toMatchObject({ imported: 71, duplicates: 50, rejected: 0 });
    expect(existsSync(`${h.fallbackPath}.recovering`)).toBe(false);
    const ids = await allIds();
    expect(ids).toHaveLength(121);
    expect(new Set(ids)).toEqual(new Set([...first.map((r) => r.id!), later.id!]));
  });

  it('keeps a torn line aside instead of failing the import', async () => {
    h.faults.down.add('insertDeadLetters');
    const r = await h.dlq.store({ domain: 'd', failureType: 'f' });
    h.faults.down.delete('insertDeadLetters');
    appendFileSync(h.fallbackPath, '{"v":1,"at":1,"record":{"id":"torn');
    const result = await h.dlq.recoverFallback();
    expect(result).toMatchObject({ imported: 1, rejected: 1, rejectedPath: `${h.fallbackPath}.rejected` });
    expect(readFileSync(`${h.fallbackPath}.rejected`, 'utf8')).toContain('"torn');
    expect(await h.dlq.get(r.id!)).not.toBeNull();
    expect(h.dlq.metrics().fallbackRejected).toBe(1);
  });

  it('when the fallback file fails too, the caller gets an error and the loss is counted', async () => {
    // A regular file where the fallback directory should be: appends fail with ENOTDIR.
    const blocked = join(h.dir, 'blocked');
    writeFileSync(blocked, 'not a directory');
    const dlq = h.otherProcess({ fallbackPath: join(blocked, 'dead-letters.jsonl') });
    const sqlite = (dlq as unknown as { backing: { insertDeadLetters: unknown } }).backing;
    sqlite.insertDeadLetters = async () => {
      throw new StoreUnavailableError('disk full');
    };
    const lost: unknown[] = [];
    dlq.on('dead_letter.lost', (e) => lost.push(e));
    const error = await dlq.store({ domain: 'd', failureType: 'f' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(
      /could not be stored .*disk full.* nor written to the fallback file/,
    );
    // Fire-and-forget callers cannot catch: the event and the counter say it.
    await dlq.store({ domain: 'd', failureType: 'f' }, { mode: 'async' });
    await dlq.flush();
    expect(lost).toHaveLength(2);
    expect(dlq.metrics()).toMatchObject({ lost: 2, storeFailures: 2, fallbackWrites: 0 });
  });

  it('with the fallback disabled, a failed store write is an error, never silence', async () => {
    const dlq = h.otherProcess({ fallbackPath: false });
    (dlq as unknown as { backing: { insertDeadLetters: unknown } }).backing.insertDeadLetters = async () => {
      throw new StoreUnavailableError('down');
    };
    await expect(dlq.store({ domain: 'd', failureType: 'f' })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(dlq.metrics().lost).toBe(1);
    expect(await dlq.recoverFallback()).toMatchObject({ imported: 0 });
  });

  it('creates the fallback directory when needed', async () => {
    const nested = join(h.dir, 'a', 'b');
    mkdirSync(join(h.dir, 'a'));
    const dlq = h.otherProcess({ fallbackPath: join(nested, 'f.jsonl') });
    (dlq as unknown as { backing: { insertDeadLetters: unknown } }).backing.insertDeadLetters = async () => {
      throw new StoreUnavailableError('down');
    };
    const r = await dlq.store({ domain: 'd', failureType: 'f' });
    expect(r.fallbackPath).toBe(join(nested, 'f.jsonl'));
    expect(lines(join(nested, 'f.jsonl'))).toHaveLength(1);
  });
});
