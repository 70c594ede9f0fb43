/**
 * Redis store on a real server: the bound on dead-letter scans (maxScan).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { redisService } from '../support/services.js';
import { redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  describe('dead-letter scans', () => {
    it('refuses a query that would examine more than maxScan entries, and counts status/domain totals without scanning', async () => {
      const store = open({ maxScan: 1000 });
      const deadLetters = Array.from({ length: 2500 }, (_, i) => ({
        id: `dl-${i}`,
        queue: 'q',
        jobId: null,
        jobName: 'job',
        domain: i % 2 ? 'a' : 'b',
        failureType: 'permanent',
        entityType: null,
        entityId: null,
        userId: null,
        errorClass: null,
        errorCode: null,
        errorMessage: `error ${i}`,
        errorStack: null,
        fingerprint: 'fp',
        fingerprintVersion: 1,
        payload: { i },
        attempts: [],
        snapshot: null,
        requestData: null,
        responseData: null,
        metadata: {},
        nextActionHint: null,
        recommendedAction: null,
        workerId: null,
        handlerVersion: null,
        maxReplays: 1,
        firstFailedAt: T0 + i,
        deadLetteredAt: T0 + i,
        expiresAt: null,
      }));
      expect((await store.insertDeadLetters({ deadLetters, now: T0 })).inserted).toBe(2500);
      await expect(store.listDeadLetters({ limit: 10, entityId: 'nobody' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      // A search the error-text index answers examines no entry of the time index (once the
      // walk has indexed the new entries: until then it examines them too).
      expect((await store.backfillDeadLetterCounters({ maxSteps: 20 })).done).toBe(true);
      expect(await store.listDeadLetters({ limit: 10, errorText: 'no such text' })).toEqual({
        items: [],
        total: 0,
        nextCursor: null,
      });
      const page = await store.listDeadLetters({ limit: 5, statuses: ['pending'], domain: 'a' });
      expect(page.total).toBe(1250);
      expect(page.items.map((d) => d.id)).toEqual(['dl-2499', 'dl-2497', 'dl-2495', 'dl-2493', 'dl-2491']);
      // A selective filter finds its matches early and stops: no refusal.
      const found = await store.listDeadLetters({ limit: 1, errorText: 'error 2498', withTotal: false });
      expect(found.items.map((d) => d.id)).toEqual(['dl-2498']);
      expect((await store.listDeadLetters({ limit: 3, from: T0 + 100, to: T0 + 200 })).total).toBe(100);
    });
  });
});
