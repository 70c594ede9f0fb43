/**
 * The store conformance suite on a Redis store at format version 4 (`formatVersion: 4`: a failing
 * job's dead letter is linked to its job by the job's `dl` field while the job exists, see
 * src/store/redis/lua/lib/dead-letters-packed.lua), against a real server as
 * test/conformance/redis.test.ts.
 */
import { describeRedisConformance } from '../support/redis-conformance.js';
import { redisService } from '../support/services.js';

describeRedisConformance(
  await redisService(),
  'Redis store at format version 4',
  'redis-format-4',
  'conformance-f4',
  { formatVersion: 4 },
);
