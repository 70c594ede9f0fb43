/**
 * Probes, metrics and identity: `/healthz` (the process answers), `/readyz` (the store answers),
 * `/metrics` (Prometheus), `/api/whoami`.
 */
import type { FastifyInstance } from 'fastify';
import { type AdminContext, identityOf, requireRole } from '../context.js';
import { errorBody } from '../http-errors.js';

/** How long `/readyz` waits for the store. */
const READY_TIMEOUT_MS = 2000;

export function registerSystemRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/healthz', async () => ({ ok: true }));

  // Unauthenticated: the answer says whether the store answers, never why not (a driver's message
  // can hold paths, hosts or user names); the reason goes to the server log.
  app.get('/readyz', async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timed out');
    try {
      const answer = await Promise.race([
        ctx.store.listQueues(),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), READY_TIMEOUT_MS);
        }),
      ]);
      if (answer !== timedOut) return { ok: true };
      request.log.warn({ timeoutMs: READY_TIMEOUT_MS }, 'readiness: the store did not answer in time');
      return reply.code(503).send({
        ok: false,
        ...errorBody('STORE_UNAVAILABLE', `the store did not answer within ${READY_TIMEOUT_MS} ms`),
      });
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the store failed');
      return reply.code(503).send({
        ok: false,
        ...errorBody('STORE_UNAVAILABLE', 'the store is not answering (the server log says why)'),
      });
    } finally {
      clearTimeout(timer);
    }
  });

  app.get('/metrics', { onRequest: requireRole(ctx, 'viewer') }, async (_request, reply) => {
    const { contentType, body } = await ctx.metrics.render();
    return reply.type(contentType).send(body);
  });

  app.get('/api/whoami', { onRequest: requireRole(ctx, 'viewer') }, async (request) => {
    const { actor, role } = identityOf(request);
    return { actor, role };
  });
}
