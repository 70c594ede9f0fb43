/**
 * Job headers from the producer's side to the handler, the dead letter and the replay.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue, PermanentError, ValidationError } from '../../src/index.js';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const HEADERS = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tenant: 'acme' };

describe('job headers', () => {
  it('reach the handler on every attempt; a job without headers has null', async () => {
    const q = h.queue<number>('hdr');
    await q.add('with', 1, { headers: HEADERS, maxAttempts: 2, backoff: { type: 'fixed', delayMs: 1 } });
    await q.add('without', 2);
    const seen: [string, number, unknown][] = [];
    h.worker<number>('hdr', async (job) => {
      seen.push([job.name, job.attempt, job.headers]);
      if (job.name === 'with' && job.attempt === 1) throw new Error('once');
    });
    await h.waitFor(() => seen.length === 3, { advanceMs: 5, what: 'three attempts' });
    expect(seen.sort()).toEqual([
      ['with', 1, HEADERS],
      ['with', 2, HEADERS],
      ['without', 1, null],
    ]);
  });

  it('are validated at enqueue, naming the field', async () => {
    const q = h.queue('hdr');
    await expect(q.add('x', 1, { headers: { a: 1 as unknown as string } })).rejects.toThrow(
      new ValidationError('options.headers.a', 'must be a string'),
    );
    await expect(q.add('x', 1, { headers: [] as unknown as Record<string, string> })).rejects.toThrow(
      ValidationError,
    );
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    await expect(q.add('x', 1, { headers: many })).rejects.toThrow(/at most 64 entries/);
    await expect(q.add('x', 1, { headers: { big: 'x'.repeat(9000) } })).rejects.toThrow(/8192 bytes/);
  });

  it('are kept by the dead letter and carried by its replay, even once the job row is gone', async () => {
    const q = h.queue<number>('hdr');
    const { id } = await q.add('doomed', 1, { headers: HEADERS });
    const replayedHeaders: unknown[] = [];
    h.worker<number>('hdr', async (job) => {
      if (job.replayOf !== null) {
        replayedHeaders.push(job.headers);
        return;
      }
      throw new PermanentError('no');
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { what: 'dead letter' });
    const dlq = new DeadLetterQueue({ store: h.store, clock: h.clock });
    const [entry] = (await dlq.list({})).results;
    expect(entry?.metadata).toEqual({ headers: HEADERS });
    // The job row is cleaned away: the replay takes the dead letter's copy.
    await h.store.removeJobs({ states: ['dead_lettered'], limit: 10 });
    await dlq.retry(entry!.id, { actor: 'ann' });
    await h.waitFor(() => replayedHeaders.length === 1, { advanceMs: 5, what: 'replayed job ran' });
    expect(replayedHeaders).toEqual([HEADERS]);
  });
});
