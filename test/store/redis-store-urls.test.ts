/** Redis store URLs: prefix, clock, durability, format version and Redis Cluster nodes read from a URL. */
import { describe, expect, it } from 'vitest';
import { redisStoreOptionsFromUrl } from '../../src/store/redis/redis-url.js';

describe('URLs', () => {
  it('reads the prefix and clock from the query and leaves the rest to ioredis', () => {
    expect(redisStoreOptionsFromUrl('redis://:pw@cache:6380/2?prefix=app&clock=caller')).toEqual({
      url: 'redis://:pw@cache:6380/2',
      prefix: 'app',
      clock: 'caller',
      durability: 'async',
    });
    expect(redisStoreOptionsFromUrl('rediss://cache')).toMatchObject({
      prefix: 'redrive',
      clock: 'server',
    });
    expect(() => redisStoreOptionsFromUrl('redis://cache/jobs')).toThrow(/database number/);
    expect(() => redisStoreOptionsFromUrl('redis://cache?clock=wall')).toThrow(/clock/);
    expect(() => redisStoreOptionsFromUrl('redis://cache?prefix={x}')).toThrow(/prefix/);
    expect(() => redisStoreOptionsFromUrl('redis://cache?durability=sync')).toThrow(/durability/);
  });

  it('reads the format version to raise the store to from format=', () => {
    expect(redisStoreOptionsFromUrl('redis://cache?prefix=app&format=3')).toEqual({
      url: 'redis://cache',
      prefix: 'app',
      clock: 'server',
      durability: 'async',
      formatVersion: 3,
    });
    expect(redisStoreOptionsFromUrl('redis://cache').formatVersion).toBeUndefined();
    for (const bad of ['9', '0', '2.0', 'latest', ''])
      expect(() => redisStoreOptionsFromUrl(`redis://cache?format=${bad}`)).toThrow(
        /format must be one of 1, 2/,
      );
  });

  it('names a Redis Cluster by redis+cluster:// with several nodes, or by ?cluster=true', () => {
    expect(
      redisStoreOptionsFromUrl(
        'redis+cluster://u:p%40w@a:7000,b:7001,[::1]:7002?prefix=app&durability=replicated',
      ),
    ).toEqual({
      prefix: 'app',
      clock: 'server',
      durability: 'replicated',
      cluster: {
        nodes: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
          { host: '::1', port: 7002 },
        ],
      },
      redisOptions: { username: 'u', password: 'p@w' },
    });
    expect(redisStoreOptionsFromUrl('rediss://cache:7000?cluster=true')).toMatchObject({
      cluster: { nodes: [{ host: 'cache', port: 7000 }] },
      redisOptions: { tls: {} },
    });
    expect(redisStoreOptionsFromUrl('redis://cache:7000?cluster=false')).toMatchObject({
      url: 'redis://cache:7000',
    });
    expect(() => redisStoreOptionsFromUrl('redis+cluster://a:7000/3')).toThrow(/only database 0/);
    expect(() => redisStoreOptionsFromUrl('redis+cluster://a:x')).toThrow(/host:port/);
    expect(() => redisStoreOptionsFromUrl('redis://a?cluster=maybe')).toThrow(/cluster must be/);
  });
});
