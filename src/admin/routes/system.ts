/**
 * Probes, metrics and identity: `/healthz` (the process answers), `/readyz` (the store answers),
 * `/metrics` (Prometheus), `/api/whoami`.
 */
import type { FastifyInstance } from 'fastify';
import { type AdminContext, identityOf, requireRole } from '../context.js';
import { errorBody, toErrorResponse } from '../http-errors.js';

/** How long `/readyz` waits for the store. */
const READY_TIMEOUT_MS = 2000;

export function registerSystemRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ctx.store.listQueues(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the store did not answer within ${READY_TIMEOUT_MS} ms`)),
            READY_TIMEOUT_MS,
          );
        }),
      ]);
      return { ok: true };
    } catch (error) {
      const mapped = toErrorResponse(error);
      const message = mapped.internal ? (error as Error).message : mapped.body.error.message;
      return reply.code(503).send({ ok: false, ...errorBody('STORE_UNAVAILABLE', message) });
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
