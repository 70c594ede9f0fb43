/**
 * The examples of docs/dead-letter-queue.md, run as written (with fakes for the application's
 * services), so the page stays true.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdaptiveThrottle,
  CircuitBreaker,
  createRedactor,
  REDACTED,
  ReplayQueue,
  ReplayRegistry,
  StateConflictError,
} from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

type Charge = { orderId: string; amount: number };

let h: DlqHarness;
let charged: Charge[];
let gatewayUp: boolean;

beforeEach(() => {
  charged = [];
  gatewayUp = false;
  const payments = {
    charge: async (c: Charge) => {
      if (!gatewayUp) throw new Error('gateway timeout');
      charged.push(c);
    },
  };
  h = createDlqHarness({
    replayHandlers: new ReplayRegistry().forDomain('payment', async (entry) => {
      await payments.charge(entry.payload as Charge);
    }),
    sla: { defaultMs: 4 * 3_600_000, domains: { payment: 15 * 60_000 } },
  });
});
afterEach(async () => {
  await h.cleanup();
});

describe('docs/dead-letter-queue.md', () => {
  it('the opening example', async () => {
    const dlq = h.dlq;
    const error = Object.assign(new Error('gateway timed out after 30000 ms'), { code: 'ETIMEDOUT' });
    const { id } = await dlq.store({
      domain: 'payment',
      failureType: 'PG_TIMEOUT',
      entityType: 'order',
      entityId: 'o-1',
      userId: 7,
      error,
      payload: { orderId: 'o-1', amount: 25, card: { token: 'tok_live' } },
      requestData: { url: '/charge', headers: { Authorization: 'Bearer x' } },
      responseData: { status: 504 },
      nextActionHint: 'Check the gateway status page, then replay.',
      recommendedAction: 'replay',
    });
    const entry = await dlq.mustGet(id!);
    expect(entry.payload).toEqual({ orderId: 'o-1', amount: 25, card: { token: REDACTED } });
    expect(entry.requestData).toEqual({ url: '/charge', headers: { Authorization: REDACTED } });

    const page = await dlq.list(
      { domain: 'payment', status: ['pending', 'requires_review'] },
      { pageSize: 50 },
    );
    expect(page.totalCount).toBe(1);
    const failed = await dlq.retry(id!, {
      actor: 'ann@example.com',
      expectedGeneration: page.results[0]?.generation,
    });
    expect(failed).toMatchObject({ success: false, status: 'pending' });
    await expect(
      dlq.retry(id!, { actor: 'ann@example.com', expectedGeneration: page.results[0]?.generation }),
    ).rejects.toBeInstanceOf(StateConflictError);
    gatewayUp = true;
    const ok = await dlq.retry(id!, { actor: 'ann@example.com', expectedGeneration: failed.generation });
    expect(ok).toMatchObject({ success: true, status: 'resolved' });
    // The redacted payload was replayed: the handler decides what it needs (here, no card token).
    expect(charged).toEqual([{ orderId: 'o-1', amount: 25, card: { token: REDACTED } }]);
  });

  it('throttled replay, ReplayQueue and the redactor examples', async () => {
    for (let i = 0; i < 30; i++)
      await h.dlq.store({ domain: 'payment', failureType: 'x', payload: { orderId: `o${i}`, amount: i } });
    const breaker = new CircuitBreaker({ failureThreshold: 5, clock: h.clock });
    const handlers = new ReplayRegistry();
    handlers.forDomain('payment', (entry) =>
      breaker.execute(async () => {
        if (!gatewayUp) throw new Error('gateway timeout');
        charged.push(entry.payload as Charge);
      }),
    );
    const dlq = h.otherProcess({ replayHandlers: handlers });
    const throttle = new AdaptiveThrottle({
      k: 2,
      windowMs: 120_000,
      initialLimit: 10,
      maxLimit: 100,
      clock: h.clock,
    });
    const result = await dlq.replayThrottled({
      throttle,
      breaker,
      domain: 'payment',
      batchSize: 10,
      maxEntries: 500,
    });
    // The gateway is down: after 5 failures the breaker opens and the batch stops there.
    expect(result).toMatchObject({ earlyStopReason: 'circuit_open', failed: 5, succeeded: 0, total: 5 });
    expect((await dlq.stats()).byStatus.pending).toBe(30);
    gatewayUp = true;

    const buffer = new ReplayQueue<string>({
      maxDepth: 10_000,
      rateLimit: 1000,
      rateWindowMs: 60_000,
      clock: h.clock,
    });
    for (const e of await h.dlq.replayable({ limit: 5 }))
      expect(buffer.enqueue(e.id, 'dashboard').accepted).toBe(true);
    for (let e = buffer.dequeue(); e; e = buffer.dequeue()) await h.dlq.retry(e.item, { actor: e.source });
    expect(charged).toHaveLength(5);
    expect(buffer.stats()).toMatchObject({ enqueued: 5, dequeued: 5, depth: 0 });

    expect(createRedactor({ keys: ['pin'], replaceDefaults: true })({ pin: 1, password: 'p' })).toEqual({
      pin: REDACTED,
      password: 'p',
    });
  });
});
