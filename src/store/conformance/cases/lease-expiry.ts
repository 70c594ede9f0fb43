/**
 * Conformance: `nextLeaseExpiry`, the time until the earliest lease of an active job runs out,
 * which the elected rescuer sweeps at. Only leases count (not scheduled or waiting jobs), a renewal
 * moves it, a finished job leaves it, and a queue can be asked alone.
 */
import { describe, expect, it } from 'vitest';
import { claim, insert, newJob, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

export function leaseExpiryCases(factory: StoreFactory): void {
  describe('nextLeaseExpiry', () => {
    const store = useFreshStore(factory);
    const ask = (now: number, queue?: string) => {
      const next = store().nextLeaseExpiry;
      if (!next) throw new Error('the store does not implement nextLeaseExpiry');
      return next.call(store(), queue === undefined ? { now } : { now, queue });
    };

    it('is null with no job running, scheduled and waiting jobs included', async () => {
      await insert(store(), [newJob({ queue: 'a' }), newJob({ queue: 'a', runAt: T0 + 5_000 })]);
      expect(await ask(T0)).toBeNull();
      expect(await ask(T0, 'a')).toBeNull();
    });

    it('is the time until the earliest lease expires, of every queue or of one', async () => {
      await insert(store(), [newJob({ queue: 'a' }), newJob({ queue: 'b' })]);
      await claim(store(), { queue: 'a', now: T0, leaseMs: 3_000 });
      await claim(store(), { queue: 'b', now: T0 + 100, leaseMs: 1_000 });
      expect(await ask(T0 + 200)).toBe(900);
      expect(await ask(T0 + 200, 'a')).toBe(2_800);
      expect(await ask(T0 + 200, 'b')).toBe(900);
      expect(await ask(T0 + 200, 'unknown')).toBeNull();
      // Past the expiry: 0, until a sweep takes the job back.
      expect(await ask(T0 + 5_000, 'b')).toBe(0);
    });

    it('follows a renewal, and a job that finished no longer counts', async () => {
      await insert(store(), [newJob({ queue: 'a' }), newJob({ queue: 'a' })]);
      const [first, second] = await claim(store(), { queue: 'a', now: T0, leaseMs: 1_000 });
      await store().extendLeases({
        leases: [{ id: first!.id, token: first!.token }],
        leaseMs: 1_000,
        now: T0 + 500,
      });
      expect(await ask(T0 + 500)).toBe(500);
      await store().completeJobs({
        completions: [{ id: second!.id, token: second!.token, resultJson: null }],
        now: T0 + 600,
      });
      expect(await ask(T0 + 600)).toBe(900);
      await store().completeJobs({
        completions: [{ id: first!.id, token: first!.token, resultJson: null }],
        now: T0 + 700,
      });
      expect(await ask(T0 + 700)).toBeNull();
    });
  });
}
