/**
 * `redrive maintain`: the real binary runs only the store's maintainer; once elected it recovers an
 * orphaned job; a second one on the same store stands by; both stop at --duration.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox } from './helpers.js';

let sb: CliSandbox;

beforeEach(() => {
  sb = cliSandbox();
});

afterEach(() => {
  sb.cleanup();
});

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('redrive maintain', () => {
  it('leads, recovers an orphan, and a second maintainer stands by', async () => {
    const [id] = await sb.seedJobs('emails', ['orphan'], false);
    // A worker claimed it and died: its lease ended a minute ago.
    await sb.withStore((store) =>
      store.claimJobs({
        queue: 'emails',
        workerId: 'dead-worker',
        limit: 1,
        leaseMs: 1000,
        now: Date.now() - 60_000,
        claimId: 'claim-of-a-dead-worker',
      }),
    );
    const first = sb.start(['maintain', '--json', '--duration', '4s']);
    expect(JSON.parse(await first.firstLine())).toMatchObject({ event: 'started', pid: first.child.pid });
    // Started is not elected: on a busy machine the second could otherwise campaign first.
    await first.outputContaining('"event":"leading"');
    const second = await sb.redrive(['maintain', '--json', '--duration', '1s']);
    expect(second.code, second.stderr).toBe(0);
    expect(await first.exited).toBe(0);

    const a = lines(first.output().stdout);
    expect(a.map((e) => e.event)).toEqual(['started', 'leading', 'stopped']);
    const services = (a.at(-1)!.services as { name: string; runs: number }[]).map((s) => s.name);
    expect(services).toEqual([
      'lease-rescuer',
      'completed-job-cleaner',
      'dead-letter-retention',
      'audit-retention',
    ]);
    expect(lines(second.stdout).map((e) => e.event)).toEqual(['started', 'stopped']);

    const job = await sb.withStore((store) => store.getJob({ id: id! }));
    expect(job).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    // The first resigned on exit: nobody leads.
    expect(await sb.withStore((store) => store.getLeader({ now: Date.now() }))).toBeNull();
  });
});
