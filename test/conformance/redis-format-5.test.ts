/**
 * The store conformance suite on a Redis store at format version 5 (`formatVersion: 5`: a failing
 * job's dead letter keeps its failure batch's packed properties in a field its entries share, see
 * src/store/redis/lua/lib/dead-letters-packed.lua), against a real server as
 * test/conformance/redis.test.ts.
 */
import { describeRedisConformance } from '../support/redis-conformance.js';
import { redisService } from '../support/services.js';

describeRedisConformance(
  await redisService(),
  'Redis store at format version 5',
  'redis-format-5',
  'conformance-f5',
  { formatVersion: 5 },
);
