/**
 * The store conformance suite on a Redis store at format version 2 (`formatVersion: 2`: a failing
 * job's dead letter keeps its rarely read properties in one JSON field, see
 * src/store/redis/dead-letter-codec.ts), against a real server as test/conformance/redis.test.ts.
 */
import { describeRedisConformance } from '../support/redis-conformance.js';
import { redisService } from '../support/services.js';

describeRedisConformance(
  await redisService(),
  'Redis store at format version 2',
  'redis-format-2',
  'conformance-f2',
  { formatVersion: 2 },
);
