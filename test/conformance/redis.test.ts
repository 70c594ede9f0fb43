/**
 * Runs the store conformance suite (jobs, dead letters, the model) on the Redis store against a real server
 * (`REDIS_URL`, default redis://127.0.0.1:6379). Every store gets its own key prefix, and its keys
 * are deleted (SCAN + DEL) afterwards. Without Redis the file is skipped with a loud warning —
 * except under CI=true, where `redisService()` throws and the file fails.
 *
 * The cases pass explicit times, so the store runs with `clock: 'caller'` here; the server clock
 * has its own tests in test/store/redis-store-server-clock.test.ts.
 */
import { describeRedisConformance } from '../support/redis-conformance.js';
import { redisService } from '../support/services.js';

describeRedisConformance(await redisService(), 'Redis store', 'redis', 'conformance');
