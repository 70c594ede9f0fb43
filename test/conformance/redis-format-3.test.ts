/**
 * The store conformance suite on a Redis store at format version 3 (`formatVersion: 3`: a new job
 * is stored without `pr` at normal priority and without `ra` when due when created, see
 * src/store/redis/lua/insert-jobs.lua), against a real server as test/conformance/redis.test.ts.
 */
import { describeRedisConformance } from '../support/redis-conformance.js';
import { redisService } from '../support/services.js';

describeRedisConformance(
  await redisService(),
  'Redis store at format version 3',
  'redis-format-3',
  'conformance-f3',
  { formatVersion: 3 },
);
