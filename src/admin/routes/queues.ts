/**
 * Queue routes: the overview (counts, throughput, dead letters, breakers, replay queue), the
 * queue list, throughput history, pause and resume.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { type AdminContext, identityOf, requireRole } from '../context.js';
import { intParam, parseQuery, parseWith } from '../validation.js';

const queueParams = z.object({ queue: z.string().min(1).max(200) });
const throughputQuery = z.object({ window: intParam(10, 3600).optional() });

async function mustExist(ctx: AdminContext, queue: string): Promise<{ name: string; paused: boolean }> {
  const found = (await ctx.store.listQueues()).find((q) => q.name === queue);
  if (!found) throw new NotFoundError(`queue ${queue} does not exist`, { queue });
  return found;
}

export function registerQueueRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const viewer = { onRequest: requireRole(ctx, 'viewer') };
  const operator = { onRequest: requireRole(ctx, 'operator') };

  app.get('/api/overview', viewer, async () => {
    const list = await ctx.store.listQueues();
    const stats = await ctx.dlq.stats();
    const queues = [];
    for (const q of list) {
      queues.push({
        name: q.name,
        paused: q.paused,
        counts: await ctx.store.countJobs({ queue: q.name }),
        // Entries of the dead-letter queue (every status), which outlive the jobs they came from.
        deadLetters: stats.byQueue[q.name] ?? 0,
        throughput: ctx.throughput.rate(q.name, 60),
      });
    }
    const rq = ctx.replayQueue;
    return {
      queues,
      deadLetters: {
        byStatus: stats.byStatus,
        oldestPendingAgeMs: stats.oldestPendingAgeMs,
        total: stats.total,
        open: stats.open,
      },
      breakers: ctx.breakers.map((b) => ({ name: b.name, state: b.breaker.state.name })),
      replayQueue: rq
        ? {
            depth: rq.depth,
            maxDepth: rq.maxDepth,
            backpressure: rq.backpressureStatus(),
            rateLimit: rq.rateLimitStatus(),
          }
        : null,
      now: Date.now(),
    };
  });

  app.get('/api/queues', viewer, async () => {
    const items = [];
    for (const q of await ctx.store.listQueues()) {
      items.push({ name: q.name, paused: q.paused, counts: await ctx.store.countJobs({ queue: q.name }) });
    }
    return { items };
  });

  app.get('/api/queues/:queue/throughput', viewer, async (request) => {
    const { queue } = parseWith(queueParams, request.params, 'params');
    const { window } = parseQuery(throughputQuery, request.query);
    await mustExist(ctx, queue);
    return {
      queue,
      window: window ?? 300,
      intervalMs: ctx.throughput.intervalMs,
      points: ctx.throughput.points(queue, window ?? 300),
    };
  });

  app.post('/api/queues/:queue/pause', operator, async (request) => {
    const { queue } = parseWith(queueParams, request.params, 'params');
    await mustExist(ctx, queue);
    await ctx.store.pauseQueue({ queue });
    request.log.info({ queue, actor: identityOf(request).actor }, 'queue paused');
    return { name: queue, paused: true };
  });

  app.post('/api/queues/:queue/resume', operator, async (request) => {
    const { queue } = parseWith(queueParams, request.params, 'params');
    await mustExist(ctx, queue);
    await ctx.store.resumeQueue({ queue });
    request.log.info({ queue, actor: identityOf(request).actor }, 'queue resumed');
    return { name: queue, paused: false };
  });
}
