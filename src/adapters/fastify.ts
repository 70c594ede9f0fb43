/**
 * `redrive/fastify`: the admin API and dashboard as a Fastify plugin registered under a prefix,
 * and a route handler that enqueues a job.
 *
 * ```ts
 * await app.register(redriveFastify, { prefix: '/ops/redrive', store, authenticate: (request) => request.user ?? null });
 * app.post('/orders', enqueueHandler(queue, (request) => ({ name: 'order', payload: request.body })));
 * ```
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from '../queue/queue.js';
import { type BuildJob, enqueueFor } from './enqueue.js';
import { belowMount, MountedAdmin, type MountOptions } from './mount.js';

export type { BuildJob, EnqueueSpec } from './enqueue.js';
export type { HostAuthenticate, HostIdentity } from './mount.js';

/** Options of {@link redriveFastify}: the admin server's, and the host's `authenticate(request)`. */
export type FastifyAdminOptions = MountOptions<FastifyRequest>;

/**
 * Serves the admin API and the dashboard below the plugin's prefix. Each request's actor and role
 * come from `authenticate(request)` (the host's request, with whatever its auth hooks decorated);
 * `null` answers 401. The embedded admin server closes with the host.
 */
export const redriveFastify: FastifyPluginAsync<FastifyAdminOptions> = async (host, options) => {
  const { prefix: _prefix, ...adminOptions } = options as FastifyAdminOptions & { prefix?: string };
  const mounted = new MountedAdmin<FastifyRequest>(adminOptions);
  host.addHook('onClose', () => mounted.close());
  // The embedded server reads and limits the body itself: leave the stream unread.
  host.removeAllContentTypeParsers();
  host.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const mount = host.prefix;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = belowMount(mount, request.url.slice(mount.length));
    if ('redirect' in target) return reply.redirect(target.redirect, 308);
    reply.hijack();
    await mounted.routeNode(request, request.raw, reply.raw, target.path);
    return reply;
  };
  host.all('/', handler);
  host.all('/*', handler);
};

/**
 * A route handler that enqueues the job `build(request)` makes and answers `202 { id, queue, name,
 * created }`, or 400 (validation) / 503 (backpressure) with `{ error: { code, message } }`.
 */
export function enqueueHandler<Payload>(
  queue: Queue<Payload>,
  build: BuildJob<FastifyRequest, Payload>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    const answer = await enqueueFor(queue, build, request);
    return reply.code(answer.status).send(answer.body);
  };
}
