/**
 * Conformance: leader election. One holder at a time, a fencing epoch raised at every change of
 * holder, a leader that stops renewing replaced once its lease ends, a deposed leader refused at
 * its next renewal (the check it makes before writing), whatever its own clock says.
 */
import { describe, expect, it } from 'vitest';
import type { LeadershipResult, Store } from '../../store.js';
import { type StoreFactory, T0, useFreshStore } from '../fixtures.js';

const LEASE = 1000;

function acquire(store: Store, candidate: string, now: number, leaseMs = LEASE) {
  return store.acquireLeadership({ candidate, leaseMs, now });
}

function renew(store: Store, candidate: string, epoch: number, now: number, leaseMs = LEASE) {
  return store.renewLeadership({ candidate, epoch, leaseMs, now });
}

/** The epoch of a granted lease (fails the test when refused). */
function epochOf(result: LeadershipResult): number {
  if (!result.leader) throw new Error(`expected the lease, refused (held by ${result.current?.holder})`);
  return result.lease.epoch;
}

export function leadershipCases(factory: StoreFactory): void {
  describe('leader election', () => {
    const store = useFreshStore(factory);

    it('two candidates: the first takes the lease, the second is refused and told who leads', async () => {
      const a = await acquire(store(), 'a', T0);
      expect(a).toMatchObject({
        leader: true,
        lease: { holder: 'a', acquiredAt: T0, expiresAt: T0 + LEASE },
      });
      const epoch = epochOf(a);

      expect(await acquire(store(), 'b', T0 + 10)).toEqual({
        leader: false,
        current: { holder: 'a', epoch, acquiredAt: T0, expiresAt: T0 + LEASE, serviceRuns: {} },
      });
      // Acquiring again while holding is a renewal: same epoch, later expiry.
      expect(await acquire(store(), 'a', T0 + 500)).toMatchObject({
        leader: true,
        lease: { holder: 'a', epoch, acquiredAt: T0, expiresAt: T0 + 500 + LEASE },
      });
      expect(await store().getLeader({ now: T0 + 600 })).toMatchObject({ holder: 'a', epoch });
    });

    it('candidates racing for a free lease: exactly one wins', async () => {
      const names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
      const results = await Promise.all(names.map((n) => acquire(store(), n, T0)));
      const winners = results.filter((r) => r.leader);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.leader ? winners[0]!.lease.holder : '';
      for (const r of results) if (!r.leader) expect(r.current?.holder).toBe(winner);
    });

    it('leader crash: the lease passes to another candidate once it ends, under a new epoch', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      // 'a' stops renewing.
      expect((await acquire(store(), 'b', T0 + LEASE - 1)).leader).toBe(false);
      const b = await acquire(store(), 'b', T0 + LEASE);
      expect(b).toMatchObject({ leader: true, lease: { holder: 'b', acquiredAt: T0 + LEASE } });
      expect(epochOf(b)).toBeGreaterThan(epoch);
      expect(await store().getLeader({ now: T0 + LEASE })).toMatchObject({ holder: 'b', epoch: epochOf(b) });
      // Nobody leads once that lease ends too.
      expect(await store().getLeader({ now: T0 + 2 * LEASE })).toBeNull();
    });

    it('leader paused past its lease: the renewal it makes before writing is refused', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      expect(await renew(store(), 'a', epoch, T0 + 400)).toMatchObject({
        leader: true,
        lease: { holder: 'a', epoch, expiresAt: T0 + 400 + LEASE },
      });
      // 'a' pauses (a long GC, a stopped VM); 'b' takes over once the renewed lease ends.
      const bEpoch = epochOf(await acquire(store(), 'b', T0 + 400 + LEASE));
      expect(bEpoch).toBeGreaterThan(epoch);

      const refused = await renew(store(), 'a', epoch, T0 + 400 + LEASE + 1);
      expect(refused).toMatchObject({ leader: false, current: { holder: 'b', epoch: bEpoch } });
      expect((await acquire(store(), 'a', T0 + 400 + LEASE + 1)).leader).toBe(false);
      // The new leader is untouched.
      expect(epochOf(await renew(store(), 'b', bEpoch, T0 + 400 + LEASE + 2))).toBe(bEpoch);
    });

    it('a lease that ended is not renewed even if nobody took it; taking it again raises the epoch', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      expect(await renew(store(), 'a', epoch, T0 + LEASE)).toEqual({ leader: false, current: null });
      expect(epochOf(await acquire(store(), 'a', T0 + LEASE))).toBeGreaterThan(epoch);
    });

    it('a renewal under a stale epoch is refused, even by the same candidate', async () => {
      const first = epochOf(await acquire(store(), 'a', T0));
      const second = epochOf(await acquire(store(), 'a', T0 + LEASE + 1));
      expect(second).toBeGreaterThan(first);
      expect((await renew(store(), 'a', first, T0 + LEASE + 2)).leader).toBe(false);
      expect((await renew(store(), 'a', second, T0 + LEASE + 2)).leader).toBe(true);
    });

    it('clock skew: a holder whose clock jumps back keeps its lease to the end it had', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      // The holder's clock jumps back a minute: the renewal never moves the expiry earlier.
      expect(await renew(store(), 'a', epoch, T0 - 60_000)).toMatchObject({
        leader: true,
        lease: { epoch, expiresAt: T0 + LEASE },
      });
      expect((await acquire(store(), 'b', T0 + LEASE - 1)).leader).toBe(false);
    });

    it('clock skew: a candidate whose clock runs ahead deposes the holder, which is refused at once', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      // 'b' runs ten leases ahead: by its clock the lease ended, so it takes over.
      const bEpoch = epochOf(await acquire(store(), 'b', T0 + 10 * LEASE));
      expect(bEpoch).toBeGreaterThan(epoch);
      // By the holder's own clock its lease still runs, but the epoch check refuses it.
      expect(await renew(store(), 'a', epoch, T0 + 100)).toMatchObject({
        leader: false,
        current: { holder: 'b', epoch: bEpoch },
      });
      // A candidate whose clock runs behind cannot take the lease from the new holder either.
      expect((await acquire(store(), 'a', T0 + 200)).leader).toBe(false);
    });

    it('resigning frees the lease at once; epochs never go back', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      expect(await store().resignLeadership({ candidate: 'b', epoch })).toBe(false);
      expect(await store().resignLeadership({ candidate: 'a', epoch: epoch + 1 })).toBe(false);
      expect(await store().resignLeadership({ candidate: 'a', epoch })).toBe(true);
      expect(await store().getLeader({ now: T0 + 1 })).toBeNull();
      expect((await renew(store(), 'a', epoch, T0 + 1)).leader).toBe(false);

      const bEpoch = epochOf(await acquire(store(), 'b', T0 + 1));
      expect(bEpoch).toBeGreaterThan(epoch);
      expect(await store().resignLeadership({ candidate: 'b', epoch: bEpoch })).toBe(true);
      expect(epochOf(await acquire(store(), 'a', T0 + 2))).toBeGreaterThan(bEpoch);
    });

    it('the leader records when each service last ran; others read it', async () => {
      const epoch = epochOf(await acquire(store(), 'a', T0));
      const runs = { rescuer: T0 + 5, cleaner: T0 + 7 };
      const renewed = await store().renewLeadership({
        candidate: 'a',
        epoch,
        leaseMs: LEASE,
        now: T0 + 10,
        serviceRuns: runs,
      });
      expect(renewed).toMatchObject({ leader: true, lease: { serviceRuns: runs } });
      // A renewal without runs keeps them.
      await renew(store(), 'a', epoch, T0 + 20);
      expect(await store().getLeader({ now: T0 + 30 })).toMatchObject({ holder: 'a', serviceRuns: runs });
      // A refused candidate cannot overwrite them.
      await store().renewLeadership({ candidate: 'b', epoch, leaseMs: LEASE, now: T0 + 40, serviceRuns: {} });
      expect(await store().getLeader({ now: T0 + 50 })).toMatchObject({ serviceRuns: runs });
    });

    it('refuses malformed parameters, naming the field', async () => {
      await expect(acquire(store(), '', T0)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'candidate',
      });
      await expect(acquire(store(), 'a', T0, 0)).rejects.toMatchObject({ field: 'leaseMs' });
      await expect(acquire(store(), 'a', Number.NaN)).rejects.toMatchObject({ field: 'now' });
      await expect(renew(store(), 'a', 0, T0)).rejects.toMatchObject({ field: 'epoch' });
    });
  });
}
