/**
 * Runs the store conformance suite (jobs, dead letters, the model) on the Redis store against a real
 * Redis Cluster of 3 masters and 3 replicas started for this file (test/support/redis-cluster.ts).
 * Every store gets its own prefix, hence its own slot: the stores of this run spread over the
 * three masters, and every script call is routed (and redirected, MOVED/ASK) by ioredis. The
 * suite runs again on the queue-slot store (QueueSlotRedisStore), whose queues each have a slot of
 * their own: a script touching keys of two slots would fail there (CROSSSLOT).
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  newJob,
  T0,
} from '../../src/store/conformance/fixtures.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteClusterKeys,
  redisClusterAvailability,
  startRedisCluster,
  type TestCluster,
} from '../support/redis-cluster.js';
import { uniqueKeyPrefix } from '../support/services.js';

const availability = await redisClusterAvailability();

describe.skipIf(!availability.available)('Redis store on a Redis Cluster', () => {
  let cluster: TestCluster | undefined;
  let admin: Cluster | undefined;
  const masters = new Set<number>();

  beforeAll(async () => {
    cluster = await startRedisCluster();
    admin = new Cluster(cluster.startupNodes);
  }, 60_000);
  afterAll(async () => {
    await admin?.quit();
    await cluster?.stop();
  });

  function clusterFactory(label: string) {
    return async () => {
      const store = new RedisStore({
        cluster: { nodes: cluster!.startupNodes },
        prefix: uniqueKeyPrefix(label).slice(0, -1),
        clock: 'caller',
      });
      masters.add((await cluster!.ownersOf(store.keys.base)).master.port);
      return {
        store,
        async cleanup() {
          await store.close();
          await deleteClusterKeys(admin!, store.keys.base);
        },
      };
    };
  }

  runStoreConformance('redis-cluster', clusterFactory('cluster'), { modelTimeoutMs: 120_000 });

  it('the stores of the run landed on more than one master', () => {
    expect(masters.size).toBeGreaterThan(1);
  });

  function slotsFactory(label: string) {
    return async () => {
      const prefix = uniqueKeyPrefix(label).slice(0, -1);
      const store = new QueueSlotRedisStore({
        cluster: { nodes: cluster!.startupNodes },
        prefix,
        clock: 'caller',
      });
      return {
        store,
        async cleanup() {
          await store.close();
          await deleteClusterKeys(admin!, store.keys.base);
          await deleteClusterKeys(admin!, `{${prefix}#`);
        },
      };
    };
  }

  runStoreConformance('redis-cluster-queue-slots', slotsFactory('slots'), { modelTimeoutMs: 120_000 });

  it('spreads the queues of one queue-slot store over the masters, dead letters crossing slots', async () => {
    const { store, cleanup } = await slotsFactory('spread')();
    try {
      const queues = Array.from({ length: 8 }, (_, i) => `q${i}`);
      const ids = await insert(
        store,
        queues.map((queue) => newJob({ queue })),
      );
      const owners: number[] = [];
      for (const id of ids) {
        const slot = id.split(':')[0];
        owners.push((await cluster!.ownersOf(`{${store.keys.prefix}#${slot}}.j:1`)).master.port);
      }
      expect(new Set(owners).size).toBeGreaterThan(1);
      // Some queue's slot is served by another master than the dead letters' slot: its dead letter
      // crosses nodes.
      const home = (await cluster!.ownersOf(store.keys.base)).master.port;
      expect(owners.some((port) => port !== home)).toBe(true);
      for (const queue of queues) {
        const [job] = await claim(store, { queue, now: T0 });
        await store.failJob({
          id: job!.id,
          token: job!.token,
          attempt: failedAttempt(job!, T0 + 1),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob(`dl-${queue}`, T0 + 1) },
          now: T0 + 1,
        });
      }
      const page = await store.listDeadLetters({ limit: 20, withTotal: true });
      expect(page.total).toBe(queues.length);
      expect(new Set(page.items.map((d) => d.jobId))).toEqual(new Set(ids));
    } finally {
      await cleanup();
    }
  });
});
