/**
 * StreamProcessor and ResilientRedis on a real Redis Cluster (3 masters, 3 replicas, started for
 * this file): a stream and its DLQ stream under one hash tag, messages processed, dead-lettered
 * and replayed; ResilientRedis commands routed to the master of each key's slot.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, ValidationError } from '../../src/core/errors.js';
import { createResilientRedisCluster } from '../../src/resilient-redis/client.js';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { StreamProcessor } from '../../src/streams/stream-processor.js';
import { FAST } from '../streams/helpers.js';
import { redisClusterAvailability, startRedisCluster, type TestCluster } from '../support/redis-cluster.js';
import { uniqueKeyPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const availability = await redisClusterAvailability();

describe.skipIf(!availability.available)('Redis clients on a Redis Cluster', () => {
  let cluster: TestCluster;
  let admin: Cluster;
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    admin = new Cluster(cluster.startupNodes);
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => {});
    await admin?.quit();
    await cluster?.stop();
  });

  it('StreamProcessor: processes, dead-letters and replays a stream whose DLQ shares its hash tag', async () => {
    const stream = `{${uniqueKeyPrefix('stream')}}`;
    const seen: string[] = [];
    const p = new StreamProcessor({
      cluster: { nodes: cluster.startupNodes },
      stream,
      group: 'g',
      ...FAST,
      handler: async (m) => {
        const first = !seen.includes(m.fields.n!);
        seen.push(m.fields.n!);
        if (m.fields.bad === '1' && first) throw new PermanentError('bad');
      },
    });
    stops.push(() => p.stop());
    await p.start();
    for (let i = 0; i < 20; i++)
      await admin.xadd(stream, '*', 'n', String(i), 'bad', i % 5 === 0 ? '1' : '0');
    await waitFor('every message acked or dead-lettered', () => {
      const s = p.stats();
      return s.acked === 16 && s.deadLettered === 4;
    });
    const dlq = await p.listDlq();
    expect(dlq.map((e) => e.originalStream)).toEqual([stream, stream, stream, stream]);
    const replayed = await p.replayFromDlq(dlq.map((e) => e.id));
    expect(replayed.replayed).toHaveLength(4);
    await waitFor('replayed messages processed', () => p.stats().acked === 20);
    expect(new Set(seen).size).toBe(20);
  });

  it('StreamProcessor: refuses a DLQ stream in another slot on a cluster', () => {
    expect(
      () =>
        new StreamProcessor({
          cluster: { nodes: cluster.startupNodes },
          stream: 'orders',
          dlqStream: 'orders-dlq',
          group: 'g',
          handler: async () => {},
        }),
    ).toThrow(ValidationError);
  });

  it('ResilientRedis: commands reach the master of each key, transactions on one hash tag', async () => {
    const client = createResilientRedisCluster(cluster.startupNodes);
    const redis = new ResilientRedis(client);
    stops.push(() => redis.close());
    const base = uniqueKeyPrefix('resilient');
    const keys = Array.from({ length: 12 }, (_, i) => `${base}k${i}`);
    for (const [i, key] of keys.entries()) expect(await redis.set(key, String(i))).toBe('OK');
    for (const [i, key] of keys.entries()) expect(await redis.get(key)).toBe(String(i));
    const masters = await Promise.all(keys.map((k) => cluster.ownersOf(k)));
    expect(new Set(masters.map((m) => m.master.port)).size).toBeGreaterThan(1);
    const tagged = `{${base}}`;
    const reply = await redis.transaction([
      ['INCR', `${tagged}:a`],
      ['INCR', `${tagged}:a`],
      ['SET', `${tagged}:b`, 'x'],
    ]);
    expect(reply).toEqual([
      [null, 1],
      [null, 2],
      [null, 'OK'],
    ]);
    expect(await admin.get(`${tagged}:b`)).toBe('x');
  });
});
