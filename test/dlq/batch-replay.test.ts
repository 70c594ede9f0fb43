import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdaptiveThrottle,
  CircuitBreaker,
  createSeededRandom,
  NotFoundError,
  ReplayRegistry,
} from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

let h: DlqHarness;
let calls: string[];
let failing: Set<string>;

beforeEach(() => {
  calls = [];
  failing = new Set();
  const registry = new ReplayRegistry().forDomain('payment', async (entry) => {
    calls.push(entry.entityId!);
    if (failing.has(entry.entityId!) || failing.has('*')) throw new Error('downstream 503');
  });
  h = createDlqHarness({ replayHandlers: registry });
});
afterEach(async () => {
  await h.cleanup();
});

async function seed(n: number, domain = 'payment', extra: { ttlMs?: number } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await h.dlq.store({ domain, failureType: 'timeout', entityId: `${domain}-${i}`, ...extra });
    ids.push(r.id!);
    h.clock.advance(10);
  }
  return ids;
}

describe('replay (batch)', () => {
  it('replays up to batchSize replayable entries of a domain, oldest first', async () => {
    await seed(5);
    await seed(2, 'email');
    failing.add('payment-1');
    const result = await h.dlq.replay({ domain: 'payment', batchSize: 3 });
    expect(result).toEqual({
      total: 3,
      succeeded: 2,
      failed: 1,
      skipped: 0,
      earlyStopReason: null,
      dryRun: false,
      errors: [{ id: expect.any(String), error: 'downstream 503' }],
    });
    expect(calls).toEqual(['payment-0', 'payment-1', 'payment-2']);
    // The failed one waits retryDelayMs (60 s) before batch replay picks it again.
    calls.length = 0;
    failing.clear();
    await h.dlq.replay({ domain: 'payment', batchSize: 10 });
    expect(calls).toEqual(['payment-3', 'payment-4']);
    h.clock.advance(60_000);
    await h.dlq.replay({ domain: 'payment', batchSize: 10 });
    expect(calls).toEqual(['payment-3', 'payment-4', 'payment-1']);
  });

  it('a dry run counts what would be replayed and changes nothing', async () => {
    await seed(4);
    await seed(2, 'nohandler');
    const result = await h.dlq.replay({ batchSize: 10, dryRun: true });
    expect(result).toMatchObject({ total: 6, succeeded: 4, skipped: 2, dryRun: true });
    expect(result.errors.every((e) => e.error.startsWith('no replay handler'))).toBe(true);
    expect(calls).toEqual([]);
    expect((await h.dlq.stats()).byStatus.pending).toBe(6);
  });

  it('skips expired entries (TTL check) without replaying them', async () => {
    await seed(2, 'payment', { ttlMs: 1000 });
    const [fresh] = await seed(1);
    h.clock.advance(2000);
    const result = await h.dlq.replay({ domain: 'payment' });
    expect(result).toMatchObject({ total: 3, succeeded: 1, skipped: 2 });
    expect(result.errors.map((e) => e.error)).toEqual(['expired', 'expired']);
    expect(calls).toHaveLength(1);
    expect((await h.dlq.mustGet(fresh!)).status).toBe('resolved');
  });
});

describe('replayThrottled', () => {
  it('stops early when the throttle reports an emergency, leaving the rest untouched', async () => {
    const ids = await seed(60);
    failing.add('*');
    const throttle = new AdaptiveThrottle({ clock: h.clock, random: createSeededRandom(1), minRequests: 10 });
    const result = await h.dlq.replayThrottled({
      domain: 'payment',
      throttle,
      batchSize: 10,
      maxEntries: 60,
    });
    expect(result.earlyStopReason).toBe('throttle_emergency');
    expect(result.total).toBeLessThan(60);
    expect(result.failed + result.skipped).toBe(result.total);
    expect(calls.length).toBe(result.failed);
    // Untouched entries keep their budget.
    const untouched = await Promise.all(ids.slice(result.total).map((id) => h.dlq.mustGet(id)));
    expect(untouched.every((e) => e.status === 'pending' && e.replayCount === 0)).toBe(true);
    expect(throttle.health().level).toBe('emergency');
  });

  it('sheds some entries while degraded (skipped, still pending) and replays the others', async () => {
    await seed(40);
    // Every third call fails: the throttle sheds a little but never reaches emergency.
    let n = 0;
    const registry = new ReplayRegistry().forDomain('payment', async () => {
      n++;
      if (n % 3 === 0) throw new Error('503');
    });
    const dlq = h.otherProcess({ replayHandlers: registry });
    const throttle = new AdaptiveThrottle({
      clock: h.clock,
      random: createSeededRandom(3),
      k: 1.2,
      minRequests: 5,
    });
    const result = await dlq.replayThrottled({ throttle, batchSize: 10, maxEntries: 40 });
    expect(result.earlyStopReason).toBeNull();
    expect(result.total).toBe(40);
    expect(result.succeeded + result.failed + result.skipped).toBe(40);
    expect(result.skipped).toBeGreaterThan(0);
    expect(result.errors.some((e) => e.error.startsWith('throttled'))).toBe(true);
    expect(throttle.stats().throttled).toBe(result.skipped);
  });

  it('stops early while the breaker is open', async () => {
    await seed(5);
    const breaker = new CircuitBreaker({ clock: h.clock, failureThreshold: 1 });
    breaker.recordFailure(new Error('down'));
    const throttle = new AdaptiveThrottle({ clock: h.clock });
    const result = await h.dlq.replayThrottled({ throttle, breaker });
    expect(result).toMatchObject({ total: 0, earlyStopReason: 'circuit_open' });
    expect(calls).toEqual([]);
  });

  it('replays a single entry throttle-aware: TTL, budget, permit, replay', async () => {
    const [a] = await seed(1);
    const [b] = await seed(1, 'payment', { ttlMs: 5 });
    const capped = (await h.dlq.store({ domain: 'payment', failureType: 'x', maxReplays: 0 })).id!;
    h.clock.advance(100);
    const throttle = new AdaptiveThrottle({ clock: h.clock });
    expect(await h.dlq.replayOneThrottled(a!, throttle)).toMatchObject({
      success: true,
      error: null,
      retryAfterMs: null,
    });
    expect(await h.dlq.replayOneThrottled(b!, throttle)).toMatchObject({ success: false, error: 'expired' });
    expect(await h.dlq.replayOneThrottled(capped, throttle)).toMatchObject({
      success: false,
      error: 'at_cap',
    });
    await expect(h.dlq.replayOneThrottled('nope', throttle)).rejects.toBeInstanceOf(NotFoundError);
    const full = new AdaptiveThrottle({ clock: h.clock, initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const held = full.tryAcquire();
    const [c] = await seed(1);
    expect(await h.dlq.replayOneThrottled(c!, full)).toMatchObject({
      success: false,
      error: 'concurrency',
      retryAfterMs: expect.any(Number),
    });
    if (held.ok) held.permit.release();
    expect(throttle.stats()).toMatchObject({ successes: 1 });
  });

  it('requires a throttle', async () => {
    await expect(h.dlq.replayThrottled({} as never)).rejects.toMatchObject({ field: 'throttle' });
  });
});
