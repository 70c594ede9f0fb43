/**
 * Runs the store conformance suite (jobs, dead letters, the model) on the Redis store against a real
 * Redis Cluster of 3 masters and 3 replicas started for this file (test/support/redis-cluster.ts).
 * Every store gets its own prefix, hence its own slot: the stores of this run spread over the
 * three masters, and every script call is routed (and redirected, MOVED/ASK) by ioredis.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteClusterKeys,
  redisClusterAvailability,
  startRedisCluster,
  type TestCluster,
} from '../support/redis-cluster.js';
import { uniqueKeyPrefix } from '../support/services.js';
import { runStoreConformance } from './store-suite.js';

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
});
