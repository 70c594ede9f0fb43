/**
 * The real binary: redrive dlq list|show|replay|force-replay|resolve|purge|stats|facets (and the old
 * names retry and redrive).
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

interface Summary {
  id: string;
  status: string;
  domain: string;
  generation: number;
}

describe('redrive dlq: reading', () => {
  it('list filters, searches and pages; show gives the full record; stats and facets count', async () => {
    const [jobDl] = await sb.seedJobs('emails', ['bad'], true);
    const [a, , c] = await sb.seedDeadLetters([
      { entityId: 'o-1' },
      { entityId: 'o-2', payload: { customer: { id: 43 } } },
      { domain: 'webhook', failureType: 'HTTP_500', error: new Error('upstream exploded'), payload: {} },
    ]);

    const all = await sb.json<{ items: Summary[]; total: number; totalPages: number }>(['dlq', 'list']);
    expect(all.total).toBe(4);
    const payment = await sb.json<{ items: Summary[]; total: number }>([
      'dlq',
      'list',
      '--domain',
      'payment',
    ]);
    expect(payment.total).toBe(2);
    const search = await sb.json<{ items: Summary[] }>(['dlq', 'list', '--search', 'EXPLODED']);
    expect(search.items.map((i) => i.id)).toEqual([c]);
    const where = await sb.json<{ items: Summary[] }>(['dlq', 'list', '--where', 'payload.customer.id=42']);
    expect(where.items.map((i) => i.id)).toEqual([a]);
    const paged = await sb.json<{ items: Summary[]; totalPages: number; nextCursor: string }>([
      'dlq',
      'list',
      '--page-size',
      '3',
    ]);
    expect(paged.items).toHaveLength(3);
    expect(paged.totalPages).toBe(2);
    const next = await sb.json<{ items: Summary[] }>([
      'dlq',
      'list',
      '--page-size',
      '3',
      '--cursor',
      paged.nextCursor,
    ]);
    expect(next.items).toHaveLength(1);
    const future = await sb.json<{ total: number }>([
      'dlq',
      'list',
      '--from',
      new Date(Date.now() + 3_600_000).toISOString(),
    ]);
    expect(future.total).toBe(0);

    const table = await sb.inProcess(['dlq', 'list', '--status', 'pending']);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+DOMAIN\s+QUEUE\s+FAILURE\s+REPLAYS\s+AGE\s+ERROR/);
    expect(table.stdout).toMatch(/page 1 of 1 \(4 total\)/);

    const jobs = await sb.json<{ items: { id: string; deadLetterId: string }[] }>([
      'list',
      '--state',
      'dead_lettered',
    ]);
    const jobDeadLetter = jobs.items.find((j) => j.id === jobDl)!.deadLetterId;
    const shown = await sb.json<{ id: string; attempts: unknown[]; payload: unknown; audit: unknown[] }>([
      'dlq',
      'show',
      jobDeadLetter,
    ]);
    expect(shown).toMatchObject({
      id: jobDeadLetter,
      queue: 'emails',
      attempts: [expect.objectContaining({ outcome: 'failed', message: `job ${jobDl} cannot be sent` })],
      payload: { name: 'bad', customer: { id: 7 } },
      audit: [],
    });
    const text = await sb.inProcess(['dlq', 'show', jobDeadLetter]);
    expect(text.stdout).toMatch(/^id:\s+dl_/);
    expect(text.stdout).toMatch(/\nattempts:\n#\s+OUTCOME/);
    const missing = await sb.inProcess(['dlq', 'show', 'dl_nope']);
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /dead letter dl_nope does not exist/);

    const stats = await sb.json<{ total: number; open: number; byDomain: Record<string, number> }>([
      'dlq',
      'stats',
    ]);
    expect(stats).toMatchObject({ total: 4, open: 4, byDomain: { payment: 2, webhook: 1, emails: 1 } });
    const facets = await sb.json<{ byStatus: Record<string, number>; cells: unknown[] }>(['dlq', 'facets']);
    expect(facets.byStatus).toEqual({ pending: 4 });
    expect(facets.cells).toContainEqual({ status: 'pending', domain: 'payment', count: 2 });
    const facetTable = await sb.inProcess(['dlq', 'facets']);
    expect(facetTable.stdout).toMatch(/^DOMAIN\s+PENDING\s+TOTAL/);

    const badStatus = await sb.inProcess(['dlq', 'list', '--status', 'lost']);
    expect(badStatus.code).toBe(2);
    expectOneLineError(badStatus, /unknown status 'lost'/);
    const badWhere = await sb.inProcess(['dlq', 'list', '--where', 'customer=1']);
    expect(badWhere.code).toBe(2);
    const badPage = await sb.inProcess(['dlq', 'list', '--page-size', '500']);
    expect(badPage.code).toBe(2);
  });
});

describe('redrive dlq: acting', () => {
  it('replay <id> checks the generation and the budget; force-replay needs a reason; handlers come from a module', async () => {
    const [jobId] = await sb.seedJobs('emails', ['bad'], true);
    const jobs = await sb.json<{ items: { deadLetterId: string }[] }>(['list', '--state', 'dead_lettered']);
    const id = jobs.items[0]!.deadLetterId;
    const stale = await sb.json<{
      results: { ok: boolean; error: { code: string; details: { reason: string } } }[];
    }>(['dlq', 'replay', id, '--generation', '99'], 1);
    expect(stale.results[0]).toMatchObject({
      ok: false,
      error: { code: 'STATE_CONFLICT', details: { reason: 'stale_generation' } },
    });
    const ok = await sb.json<{ results: { ok: boolean; result: { status: string; jobId: string } }[] }>([
      'dlq',
      'replay',
      id,
      '--actor',
      'alice',
    ]);
    expect(ok.results[0]).toMatchObject({ ok: true, result: { status: 'resolved' } });
    expect(ok.results[0]!.result.jobId).not.toBe(jobId);

    // A domain without a handler needs one: from --handlers.
    const [custom] = await sb.seedDeadLetters([{ domain: 'billing', maxReplays: 1 }]);
    const noHandler = await sb.json<{ results: { error: { details: { reason: string } } }[] }>(
      ['dlq', 'replay', custom!],
      1,
    );
    expect(noHandler.results[0]!.error.details.reason).toBe('no_replay_handler');
    // The old name still replays, and says it is deprecated.
    const old = await sb.redrive(['dlq', 'retry', custom!, '--json']);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/dlq retry is deprecated: use redrive dlq replay <id\.\.\.>/);
    expect(JSON.parse(old.stdout).results[0].error.details.reason).toBe('no_replay_handler');
    // Ids name the entries: batch filters do not apply to them, nor --generation to a batch.
    expect((await sb.redrive(['dlq', 'replay', custom!, '--queue', 'emails'])).code).toBe(2);
    expect((await sb.redrive(['dlq', 'replay', '--generation', '1'])).code).toBe(2);
    const registry = fileURLForSource('src/index.ts');
    writeFileSync(
      join(sb.dir, 'failing.mjs'),
      `import { ReplayRegistry } from '${registry}';\nexport default new ReplayRegistry().forDomain('billing', async () => { throw new Error('billing API still down'); });\n`,
    );
    writeFileSync(
      join(sb.dir, 'fixed.mjs'),
      `export default (registry) => registry.forDomain('billing', async () => ({ note: 'charged' }));\n`,
    );
    const failed = await sb.json<{ results: { ok: boolean; result: { status: string; error: string } }[] }>(
      ['dlq', 'replay', custom!, '--handlers', 'failing.mjs'],
      1,
    );
    expect(failed.results[0]).toMatchObject({
      ok: false,
      result: { status: 'requires_review', error: expect.stringContaining('still down') },
    });

    const noReason = await sb.redrive(['dlq', 'redrive', custom!]);
    expect(noReason.code).toBe(2);
    expectOneLineError(noReason, /required option '--reason <text>'/);
    const blank = await sb.redrive(['dlq', 'redrive', custom!, '--reason', ' ', '--handlers', 'fixed.mjs']);
    expect(blank.code).toBe(2);
    expectOneLineError(blank, /reason/);
    // force-replay is the name; redrive (above) its deprecated alias.
    const redriven = await sb.json<{ results: { ok: boolean; result: { status: string } }[] }>([
      'dlq',
      'force-replay',
      custom!,
      '--reason',
      'billing API is back',
      '--ticket',
      'OPS-7',
      '--handlers',
      'fixed.mjs',
    ]);
    expect(redriven.results[0]).toMatchObject({ ok: true, result: { status: 'resolved' } });
    const shown = await sb.json<{
      audit: { action: string; reason: string | null; ticket: string | null }[];
    }>(['dlq', 'show', custom!]);
    expect(shown.audit).toContainEqual(
      expect.objectContaining({ action: 'force_redrive', reason: 'billing API is back', ticket: 'OPS-7' }),
    );

    const missingModule = await sb.redrive(['dlq', 'replay', custom!, '--handlers', 'nope.mjs']);
    expect(missingModule.code).toBe(1);
    expectOneLineError(missingModule, /cannot find module nope\.mjs/);
  });

  it('resolve takes ids or every open entry matching filters, with a dry run', async () => {
    const [a, b, c, d] = await sb.seedDeadLetters([
      {},
      {},
      { domain: 'webhook', failureType: 'HTTP_500', error: new Error('boom') },
      { domain: 'webhook', failureType: 'HTTP_500', error: new Error('boom') },
    ]);
    const one = await sb.json<{ resolved: string[]; notFound: string[] }>(
      ['dlq', 'resolve', a!, 'dl_missing', '--note', 'done'],
      1,
    );
    expect(one).toMatchObject({ resolved: [a], notFound: ['dl_missing'] });
    const again = await sb.json<{ skipped: { id: string; reason: string }[] }>(['dlq', 'resolve', a!], 1);
    expect(again.skipped).toEqual([{ id: a, status: 'resolved', reason: 'invalid_status' }]);

    const dry = await sb.json<{ resolved: string[]; dryRun: boolean }>([
      'dlq',
      'resolve',
      '--all-matching',
      '--domain',
      'webhook',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ dryRun: true });
    expect(dry.resolved.sort()).toEqual([c, d].sort());
    const stillOpen = await sb.json<{ total: number }>(['dlq', 'list', '--status', 'pending']);
    expect(stillOpen.total).toBe(3);
    const all = await sb.redrive([
      'dlq',
      'resolve',
      '--all-matching',
      '--domain',
      'webhook',
      '--note',
      'upstream fixed',
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('resolved 2 of 2 dead letter(s); 0 skipped, 0 not found\n');
    const open = await sb.json<{ items: Summary[] }>(['dlq', 'list', '--status', 'pending']);
    expect(open.items.map((i) => i.id)).toEqual([b]);

    const neither = await sb.redrive(['dlq', 'resolve']);
    expect(neither.code).toBe(2);
    const both = await sb.redrive(['dlq', 'resolve', b!, '--all-matching']);
    expect(both.code).toBe(2);
    const filterWithoutAll = await sb.redrive(['dlq', 'resolve', b!, '--domain', 'payment']);
    expect(filterWithoutAll.code).toBe(2);
  });

  it('replay replays replayable entries in batches (dry run first); purge removes archived ones', async () => {
    await sb.seedJobs('emails', ['bad', 'bad', 'bad'], true);
    const [billing] = await sb.seedDeadLetters([{ domain: 'billing' }]);
    const dry = await sb.json<{ total: number; succeeded: number; skipped: number; dryRun: boolean }>([
      'dlq',
      'replay',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ total: 4, succeeded: 3, skipped: 1, dryRun: true });
    const scoped = await sb.json<{ total: number; succeeded: number }>([
      'dlq',
      'replay',
      '--queue',
      'emails',
      '--limit',
      '2',
      '--batch-size',
      '1',
    ]);
    expect(scoped).toMatchObject({ total: 2, succeeded: 2 });
    // An empty id list (a script's `$(cat ids)` that found none) must not replay the oldest entries.
    const bare = await sb.redrive(['dlq', 'replay']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/give dead-letter ids, or choose a batch/);
    expect(
      (await sb.json<{ items: unknown[] }>(['list', 'emails', '--state', 'waiting'])).items,
    ).toHaveLength(2);
    expect((await sb.redrive(['dlq', 'replay', billing!, '--all-matching'])).code).toBe(2);
    const rest = await sb.redrive(['dlq', 'replay', '--queue', 'emails']);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/^replayed 1 of 1 dead letter\(s\); 0 failed, 0 skipped/);
    // Nothing replayable is left: the billing entry has no handler.
    expect(await sb.json(['dlq', 'replay', '--all-matching'])).toMatchObject({
      total: 1,
      succeeded: 0,
      skipped: 1,
    });
    const waiting = await sb.json<{ items: unknown[] }>(['list', 'emails', '--state', 'waiting']);
    expect(waiting.items).toHaveLength(3);

    const dryPurge = await sb.json<{ purged: number; dryRun: boolean }>([
      'dlq',
      'purge',
      '--older-than',
      '0',
      '--dry-run',
    ]);
    expect(dryPurge).toMatchObject({ purged: 0, dryRun: true });
    const purge = await sb.json<{ purged: number; cleanup: { archived: number } }>([
      'dlq',
      'purge',
      '--older-than',
      '0',
      '--cleanup',
    ]);
    expect(purge).toMatchObject({ purged: 3, cleanup: { archived: 3 } });
    const stats = await sb.json<{ total: number; purgedTotal: number }>(['dlq', 'stats']);
    expect(stats).toMatchObject({ total: 1, purgedTotal: 3 });
    const badDays = await sb.redrive(['dlq', 'purge', '--older-than', '-1']);
    expect(badDays.code).toBe(2);
  });
});

describe('redrive dlq regroup', () => {
  it('recomputes fingerprints of an older algorithm; --dry-run changes nothing', async () => {
    const [a, b] = await sb.seedDeadLetters([{}, {}]);
    await sb.withStore(async (store) => {
      await store.regroupDeadLetters({
        changes: [
          { id: a!, fingerprint: 'v1-a', fingerprintVersion: 1 },
          { id: b!, fingerprint: 'v1-b', fingerprintVersion: 1 },
        ],
      });
    });
    const dry = await sb.json(['dlq', 'regroup', '--dry-run']);
    expect(dry).toEqual({ version: 2, examined: 2, outdated: 2, changed: 2, dryRun: true });
    const done = await sb.json(['dlq', 'regroup', '--batch-size', '1', '--actor', 'ops']);
    expect(done).toEqual({ version: 2, examined: 2, outdated: 2, changed: 2, dryRun: false });
    const [first, second] = await sb.withStore((store) =>
      Promise.all([store.getDeadLetter({ id: a! }), store.getDeadLetter({ id: b! })]),
    );
    expect(first?.fingerprint).toBe(second?.fingerprint);
    expect(first?.fingerprintVersion).toBe(2);
  });
});

/** A file URL of a source module, importable from a fixture module run by the CLI (through tsx). */
function fileURLForSource(path: string): string {
  return new URL(`../../${path}`, import.meta.url).href;
}
