/**
 * Failover on a real Redis Cluster (3 masters, 3 replicas, started here): a master is killed and
 * its replica takes over. Redis replicates asynchronously, so what the store acknowledged but the
 * replica had not yet received is gone after the failover. These tests measure that loss with the
 * default `durability: 'async'`, and show that `durability: 'replicated'` (WAIT for a replica
 * before acknowledging an enqueue or a completion) acknowledges nothing that a failover loses.
 *
 * Replication is cut deterministically where a test needs a lag: the replica is stopped (SIGSTOP)
 * and the master drops its replication link (CLIENT KILL TYPE replica), so every write after that
 * exists on the master only. Each test takes a store whose slot is served by a master that still
 * has a replica, so the three tests use the three masters of one cluster.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { freshClaimId, newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { RedisDurability } from '../../src/store/redis/replication.js';
import {
  type ClusterNode,
  redisClusterAvailability,
  startRedisCluster,
  type TestCluster,
} from '../support/redis-cluster.js';
import { uniqueKeyPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const availability = await redisClusterAvailability();

describe.skipIf(!availability.available)('Redis Cluster failover', () => {
  let cluster: TestCluster;
  const usedMasters = new Set<number>();
  const stores: RedisStore[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    for (const store of stores) await store.close().catch(() => {});
    await cluster?.stop();
  });

  /** A store (several, sharing one master, when `durabilities` has several) on a master not yet killed. */
  async function storesOnOneMaster(
    durabilities: RedisDurability[],
  ): Promise<{ stores: RedisStore[]; master: ClusterNode; replica: ClusterNode }> {
    let target: { master: ClusterNode; replica: ClusterNode } | undefined;
    const made: RedisStore[] = [];
    for (let i = 0; made.length < durabilities.length && i < 500; i++) {
      const prefix = uniqueKeyPrefix('failover').slice(0, -1);
      const owners = await cluster.ownersOf(`{${prefix}}:`);
      if (!owners.replica || owners.replica.process.exitCode !== null) continue;
      if (target ? owners.master !== target.master : usedMasters.has(owners.master.port)) continue;
      target ??= { master: owners.master, replica: owners.replica };
      const store = new RedisStore({
        cluster: { nodes: cluster.startupNodes },
        prefix,
        clock: 'caller',
        durability: durabilities[made.length]!,
        replicaTimeoutMs: 200,
      });
      stores.push(store);
      made.push(store);
    }
    if (!target) throw new Error('no master with a replica left');
    usedMasters.add(target.master.port);
    return { stores: made, ...target };
  }

  /** Stops the replica and drops its link: from now on, writes reach the master only. */
  async function cutReplication(master: ClusterNode, replica: ClusterNode): Promise<void> {
    replica.process.kill('SIGSTOP');
    const admin = new Redis({ port: master.port, host: '127.0.0.1' });
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
    } finally {
      admin.disconnect();
    }
  }

  /** Kills the master, resumes its replica, and waits until the replica serves the slot. */
  async function failOver(master: ClusterNode, replica: ClusterNode): Promise<void> {
    await new Promise<void>((resolve) => {
      master.process.once('exit', () => resolve());
      master.process.kill('SIGKILL');
    });
    replica.process.kill('SIGCONT');
    await waitFor(
      'the replica to be promoted',
      async () => {
        const admin = new Redis({ port: replica.port, host: '127.0.0.1' });
        try {
          return ((await admin.call('ROLE')) as string[])[0] === 'master';
        } finally {
          admin.disconnect();
        }
      },
      { timeoutMs: 30_000, stepMs: 25 },
    );
    await cluster.waitHealthy(30_000);
  }

  /** A fresh cluster client's view of `prefix`'s jobs after the failover. */
  async function survivors(store: RedisStore, ids: string[]): Promise<Map<string, string>> {
    const reader = new RedisStore({
      cluster: { nodes: cluster.startupNodes },
      prefix: store.keys.prefix,
      clock: 'caller',
    });
    try {
      const states = new Map<string, string>();
      await waitFor('the store to answer after the failover', () => reader.countJobs({}).then(() => true), {
        timeoutMs: 20_000,
        stepMs: 25,
      });
      for (const id of ids) {
        const job = await reader.getJob({ id });
        if (job) states.set(id, job.state);
      }
      return states;
    } finally {
      await reader.close();
    }
  }

  async function enqueue(store: RedisStore, count: number, tag: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const [result] = await store.insertJobs({ jobs: [newJob({ payload: { tag, i } })], now: T0 });
      ids.push(result!.id);
    }
    return ids;
  }

  async function claim(store: RedisStore, limit: number) {
    return store.claimJobs({
      queue: 'q',
      workerId: 'w',
      limit,
      leaseMs: 60_000,
      now: T0,
      claimId: freshClaimId(),
    });
  }

  it("durability 'async': what the store acknowledged during a replication lag is lost in a failover", async () => {
    const {
      stores: [store],
      master,
      replica,
    } = await storesOnOneMaster(['async']);
    // Before the lag: 10 jobs, claimed, replicated.
    await enqueue(store!, 10, 'before');
    const claimed = await claim(store!, 10);
    await waitFor('the replica to catch up', () => replicaCaughtUp(master));
    await cutReplication(master, replica);
    // During the lag: 20 enqueues and 10 completions, every one acknowledged.
    const enqueued = await enqueue(store!, 20, 'during');
    const completed = await store!.completeJobs({
      completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
      now: T0 + 1,
    });
    expect(completed.every((r) => r.ok)).toBe(true);
    await failOver(master, replica);
    const after = await survivors(store!, [...enqueued, ...claimed.map((j) => j.id)]);
    const lostEnqueues = enqueued.filter((id) => !after.has(id)).length;
    const lostCompletions = claimed.filter((j) => after.get(j.id) !== 'completed').length;
    console.info(
      `[failover] durability async, replica lagging: lost ${lostEnqueues}/20 acknowledged enqueues and ${lostCompletions}/10 acknowledged completions`,
    );
    expect(lostEnqueues).toBe(20);
    expect(lostCompletions).toBe(10);
  }, 60_000);

  it("durability 'replicated': nothing acknowledged is lost; writes the replica did not confirm fail as ambiguous", async () => {
    const {
      stores: [store],
      master,
      replica,
    } = await storesOnOneMaster(['replicated']);
    const before = await enqueue(store!, 10, 'before');
    const claimed = await claim(store!, 10);
    await cutReplication(master, replica);
    const acknowledged: string[] = [];
    let refused = 0;
    for (let i = 0; i < 5; i++) {
      try {
        acknowledged.push(...(await enqueue(store!, 1, 'during')));
      } catch (error) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).details).toMatchObject({
          ambiguous: true,
          replicasConfirmed: 0,
        });
        refused++;
      }
    }
    const completion = await store!
      .completeJobs({
        completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
        now: T0 + 1,
      })
      .then(
        () => 'acknowledged',
        (error: unknown) => (error instanceof StoreUnavailableError ? 'refused' : error),
      );
    expect(refused).toBe(5);
    expect(completion).toBe('refused');
    await failOver(master, replica);
    const after = await survivors(store!, [...before, ...acknowledged]);
    // Every enqueue acknowledged before the lag survived; none was acknowledged during it.
    expect(before.every((id) => after.has(id))).toBe(true);
    expect(acknowledged).toEqual([]);
  }, 60_000);

  it('a master killed while jobs run: every enqueue and completion acknowledged with replicated durability survives', async () => {
    const {
      stores: [replicated, async_],
      master,
      replica,
    } = await storesOnOneMaster(['replicated', 'async']);
    const acked = new Map<RedisStore, { enqueued: string[]; completed: string[] }>();
    let stop = false;
    let failure: unknown;
    const run = async (store: RedisStore) => {
      const mine = { enqueued: [] as string[], completed: [] as string[] };
      acked.set(store, mine);
      let i = 0;
      while (!stop) {
        try {
          const [r] = await store.insertJobs({ jobs: [newJob({ payload: { i: i++ } })], now: T0 });
          mine.enqueued.push(r!.id);
          const jobs = await claim(store, 5);
          if (jobs.length === 0) continue;
          const results = await store.completeJobs({
            completions: jobs.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
            now: T0 + 1,
          });
          for (const r of results) if (r.ok) mine.completed.push(r.id);
        } catch (error) {
          // Unavailable during the failover; anything else ends the loops and fails the test.
          if (!(error instanceof StoreUnavailableError)) {
            stop = true;
            failure = error;
          }
        }
      }
    };
    const loops = [run(replicated!), run(async_!)];
    await waitFor('jobs to run on both stores', () =>
      [...acked.values()].every((a) => a.completed.length >= 20),
    );
    await failOver(master, replica);
    // The promoted replica has no replica of its own until the killed node comes back: until then
    // a replicated write cannot be confirmed and is refused (503). Restart it, as an operator would.
    await cluster.restart(master);
    await waitFor(
      'the restarted node to replicate the new master',
      async () => {
        const owners = await cluster.ownersOf(replicated!.keys.base);
        return owners.master === replica && owners.replica === master;
      },
      { timeoutMs: 20_000, stepMs: 25 },
    );
    const atFailover = [...acked.values()].map((a) => a.completed.length);
    await waitFor(
      'both stores to complete jobs after the failover',
      () => {
        if (failure) throw failure;
        return [...acked.values()].every((a, i) => a.completed.length >= atFailover[i]! + 20);
      },
      { timeoutMs: 20_000 },
    );
    stop = true;
    await Promise.all(loops);
    if (failure) throw failure;
    const lost = async (store: RedisStore) => {
      const mine = acked.get(store)!;
      // A job whose enqueue was refused (not confirmed) may still have been applied, claimed and
      // completed: look up every id either list holds.
      const after = await survivors(store, [...new Set([...mine.enqueued, ...mine.completed])]);
      return {
        enqueued: mine.enqueued.length,
        lostEnqueues: mine.enqueued.filter((id) => !after.has(id)).length,
        completed: mine.completed.length,
        lostCompletions: mine.completed.filter((id) => after.get(id) !== 'completed').length,
      };
    };
    const withWait = await lost(replicated!);
    const without = await lost(async_!);
    console.info(
      `[failover] master killed while jobs run: replicated lost ${withWait.lostEnqueues}/${withWait.enqueued} enqueues, ${withWait.lostCompletions}/${withWait.completed} completions; async lost ${without.lostEnqueues}/${without.enqueued} enqueues, ${without.lostCompletions}/${without.completed} completions`,
    );
    expect(withWait.lostEnqueues).toBe(0);
    expect(withWait.lostCompletions).toBe(0);
  }, 90_000);
});

/** Whether every replica of `master` has acknowledged its whole replication stream. */
async function replicaCaughtUp(master: ClusterNode): Promise<boolean> {
  const admin = new Redis({ port: master.port, host: '127.0.0.1' });
  try {
    const info = String(await admin.info('replication'));
    const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
    const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
    return replicas.length > 0 && replicas.every((o) => o === offset);
  } finally {
    admin.disconnect();
  }
}
