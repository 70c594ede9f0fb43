/**
 * Job routes: list (keyset pages by id), show, retry (a dead-lettered job replays its dead
 * letter), remove.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, StateConflictError } from '../../core/errors.js';
import { JOB_STATES, type JobState } from '../../core/job.js';
import { summarizeDeadLetter } from '../../dlq/summary.js';
import { type AdminContext, identityOf, requireRole } from '../context.js';
import { removeJob } from '../job-removal.js';
import { intParam, listParam, parseBody, parseQuery, parseWith, textParam } from '../validation.js';

const idParams = z.object({ id: z.string().min(1).max(100) });
const listQuery = z.object({
  queue: textParam(200).optional(),
  state: listParam(JOB_STATES as readonly JobState[]).optional(),
  limit: intParam(1, 500).optional(),
  afterId: textParam(100).optional(),
});
const retryBody = z.strictObject({ generation: z.number().int().min(0).optional() });

export function registerJobRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const viewer = { onRequest: requireRole(ctx, 'viewer') };
  const operator = { onRequest: requireRole(ctx, 'operator') };

  app.get('/api/jobs', viewer, async (request) => {
    const q = parseQuery(listQuery, request.query);
    const limit = q.limit ?? 50;
    const items = await ctx.store.listJobs({
      limit,
      ...(q.queue !== undefined ? { queue: q.queue } : {}),
      ...(q.state && q.state.length > 0 ? { states: q.state } : {}),
      ...(q.afterId !== undefined ? { afterId: q.afterId } : {}),
    });
    return { items, nextAfterId: items.length === limit ? items[items.length - 1]!.id : null };
  });

  app.get('/api/jobs/:id', viewer, async (request) => {
    const { id } = parseWith(idParams, request.params, 'params');
    const job = await ctx.store.getJob({ id });
    if (!job) throw new NotFoundError(`job ${id} does not exist`, { id });
    const deadLetter = job.deadLetterId ? await ctx.dlq.get(job.deadLetterId) : null;
    return { ...job, deadLetter: deadLetter ? summarizeDeadLetter(deadLetter) : null };
  });

  app.post('/api/jobs/:id/retry', operator, async (request) => {
    const { id } = parseWith(idParams, request.params, 'params');
    const body = parseBody(retryBody, request.body);
    const job = await ctx.store.getJob({ id });
    if (!job) throw new NotFoundError(`job ${id} does not exist`, { id });
    const deadLetter = job.state === 'dead_lettered' ? await ctx.dlq.getByJob(id) : null;
    if (!deadLetter) {
      throw new StateConflictError(
        `job ${id} is ${job.state}; only a dead-lettered job can be retried (its dead letter is replayed)`,
        { id, reason: 'invalid_status', state: job.state },
      );
    }
    const who = identityOf(request);
    request.log.info({ jobId: id, deadLetterId: deadLetter.id, actor: who.actor }, 'job retry');
    return ctx.dlq.replayOne(deadLetter.id, {
      actor: who.actor,
      ...(body.generation !== undefined ? { expectedGeneration: body.generation } : {}),
    });
  });

  app.delete('/api/jobs/:id', operator, async (request) => {
    const { id } = parseWith(idParams, request.params, 'params');
    await removeJob(ctx.store, id);
    request.log.info({ jobId: id, actor: identityOf(request).actor }, 'job removed');
    return { removed: true, id };
  });
}
