import { describe, expect, it } from 'vitest';
import { FakeClock, REPLAY_QUEUE_DEFAULTS, ReplayQueue, ValidationError } from '../../src/index.js';

describe('ReplayQueue', () => {
  it('has the seed defaults: depth 10 000, 1000 per 60 s, backpressure from 80 %', () => {
    const q = new ReplayQueue({ clock: new FakeClock() });
    expect([q.maxDepth, q.rateLimit, q.rateWindowMs, q.backpressureThreshold, q.rateLimitingEnabled]).toEqual(
      [10_000, 1000, 60_000, 0.8, true],
    );
    expect(REPLAY_QUEUE_DEFAULTS).toMatchObject({ maxDepth: 10_000, rateLimit: 1000 });
  });

  it('is FIFO and keeps the source and enqueue time of each item', () => {
    const clock = new FakeClock();
    const q = new ReplayQueue<string>({ clock });
    q.enqueue('a', 'dlq');
    clock.advance(5);
    q.enqueue('b', 'api');
    expect(q.peek()?.item).toBe('a');
    expect(q.dequeue()).toMatchObject({ item: 'a', source: 'dlq', enqueuedAt: clock.now() - 5, seq: 1 });
    expect(q.dequeue()).toMatchObject({ item: 'b', source: 'api', seq: 2 });
    expect(q.dequeue()).toBeNull();
  });

  it('keeps order across ring growth and wrap-around', () => {
    const q = new ReplayQueue<number>({ clock: new FakeClock(), maxDepth: 5000, rateLimitingEnabled: false });
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 700; i++) expect(q.enqueue(next++).accepted).toBe(true);
      out.push(...q.dequeueBatch(500).map((e) => e.item));
    }
    out.push(...q.dequeueBatch(10_000).map((e) => e.item));
    expect(out).toEqual(Array.from({ length: 7000 }, (_, i) => i));
  });

  it('refuses when full and says so; a dequeue makes room', () => {
    const q = new ReplayQueue<number>({ clock: new FakeClock(), maxDepth: 3, rateLimitingEnabled: false });
    for (let i = 0; i < 3; i++) expect(q.enqueue(i).accepted).toBe(true);
    expect(q.enqueue(3)).toEqual({ accepted: false, reason: 'full', depth: 3, retryAfterMs: null });
    q.dequeue();
    expect(q.enqueue(4)).toMatchObject({ accepted: true, depth: 3 });
    expect(q.stats()).toMatchObject({ enqueued: 4, dequeued: 1, rejectedFull: 1, depth: 3 });
  });

  it('rate-limits enqueues over a sliding window and reports when to retry', () => {
    const clock = new FakeClock();
    const q = new ReplayQueue<number>({ clock, rateLimit: 3, rateWindowMs: 1000 });
    q.enqueue(1);
    clock.advance(400);
    q.enqueue(2);
    q.enqueue(3);
    const refused = q.enqueue(4);
    expect(refused).toEqual({ accepted: false, reason: 'rate_limited', depth: 3, retryAfterMs: 600 });
    expect(q.rateLimitStatus()).toEqual({
      enabled: true,
      currentRate: 3,
      limit: 3,
      rejectedCount: 1,
      windowSeconds: 1,
      retryAfterMs: 600,
    });
    clock.advance(600);
    expect(q.enqueue(5).accepted).toBe(true);
    expect(q.enqueue(6).accepted).toBe(false);
    clock.advance(400);
    expect(q.enqueue(7).accepted).toBe(true);
    expect(q.enqueue(8).accepted).toBe(true);
    // Dequeuing does not give rate back: the limit is on arrivals.
    q.dequeueBatch(10);
    expect(q.enqueue(9).accepted).toBe(false);
  });

  it('does not rate-limit when disabled', () => {
    const q = new ReplayQueue<number>({ clock: new FakeClock(), rateLimit: 1, rateLimitingEnabled: false });
    for (let i = 0; i < 50; i++) expect(q.enqueue(i).accepted).toBe(true);
    expect(q.rateLimitStatus()).toMatchObject({ enabled: false, rejectedCount: 0 });
  });

  it('reports backpressure from 80 % depth, with throttle percent and consumer lag', () => {
    const clock = new FakeClock();
    const q = new ReplayQueue<number>({ clock, maxDepth: 10, rateLimitingEnabled: false });
    for (let i = 0; i < 7; i++) expect(q.enqueue(i)).toMatchObject({ accepted: true, backpressure: false });
    expect(q.backpressureStatus()).toEqual({
      active: false,
      queueDepth: 7,
      maxDepth: 10,
      consumerLagSeconds: 0,
      throttlePercent: 0,
    });
    clock.advance(2500);
    expect(q.enqueue(7)).toMatchObject({ accepted: true, backpressure: true });
    expect(q.backpressureStatus()).toEqual({
      active: true,
      queueDepth: 8,
      maxDepth: 10,
      consumerLagSeconds: 2.5,
      throttlePercent: 0,
    });
    q.enqueue(8);
    expect(q.backpressureStatus().throttlePercent).toBe(50);
    q.enqueue(9);
    expect(q.backpressureStatus()).toMatchObject({ active: true, throttlePercent: 100 });
    q.dequeueBatch(5);
    expect(q.backpressureStatus()).toMatchObject({ active: false, queueDepth: 5, throttlePercent: 0 });
  });

  it('gathers everything in stats()', () => {
    const clock = new FakeClock();
    const q = new ReplayQueue<string>({ clock, maxDepth: 2, rateLimit: 2, rateWindowMs: 60_000 });
    q.enqueue('a', 'x');
    q.enqueue('b', 'y');
    q.enqueue('c', 'x');
    q.dequeue();
    q.enqueue('d', 'x');
    expect(q.stats()).toEqual({
      depth: 1,
      maxDepth: 2,
      enqueued: 2,
      dequeued: 1,
      rejectedFull: 1,
      rejectedRateLimited: 1,
      bySource: { x: 1, y: 1 },
      backpressure: { active: false, queueDepth: 1, maxDepth: 2, consumerLagSeconds: 0, throttlePercent: 0 },
      rateLimit: {
        enabled: true,
        currentRate: 2,
        limit: 2,
        rejectedCount: 1,
        windowSeconds: 60,
        retryAfterMs: 60_000,
      },
    });
    expect(q.clear()).toBe(1);
    expect(q.depth).toBe(0);
  });

  it('instances are independent', () => {
    const a = new ReplayQueue<number>({ clock: new FakeClock(), maxDepth: 1 });
    const b = new ReplayQueue<number>({ clock: new FakeClock(), maxDepth: 1 });
    a.enqueue(1);
    expect(b.enqueue(1).accepted).toBe(true);
  });

  it.each([
    [{ maxDepth: 0 }, 'maxDepth'],
    [{ rateLimit: 0 }, 'rateLimit'],
    [{ backpressureThreshold: 1.5 }, 'backpressureThreshold'],
    [{ rateWindowMs: -1 }, 'windowMs'],
  ])('rejects %o', (options, field) => {
    let error: unknown;
    try {
      new ReplayQueue(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });
});
