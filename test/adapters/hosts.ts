/**
 * Host apps of each framework for the adapter tests: the adapter mounted at MOUNT behind the
 * host's own auth (a session header it resolves), and an enqueue route, on an ephemeral port.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { Hono } from 'hono';
import * as expressAdapter from '../../src/adapters/express.js';
import * as fastifyAdapter from '../../src/adapters/fastify.js';
import * as honoAdapter from '../../src/adapters/hono.js';
import type { HostIdentity } from '../../src/adapters/mount.js';
import type { Queue } from '../../src/index.js';
import type { AdminHarness } from '../admin/helpers.js';

export const MOUNT = '/ops/redrive';

/** The host's sessions: what its own login would have established. */
export const SESSIONS: Record<string, HostIdentity> = {
  's-viewer': { actor: 'vic@example.com', role: 'viewer' },
  's-operator': { actor: 'ola@example.com', role: 'operator' },
};

function sessionOf(header: string | string[] | undefined | null): HostIdentity | null {
  return typeof header === 'string' ? (SESSIONS[header] ?? null) : null;
}

type Order = { sku: string; kind?: string };

/** The job's name comes from the request, so a client can send an invalid one. */
const jobName = (body: unknown) => (body as Order).kind ?? 'order';

export interface Host {
  url: string;
  close(): Promise<void>;
}

/** A Node server once it listens, closed with its embedded admin server. */
async function listening(server: Server, admin: { close(): Promise<void> }): Promise<Host> {
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.close();
      await admin.close();
    },
  };
}

/** Starts a host app of one framework on the harness's store. */
export type Start = (h: AdminHarness, queue: Queue<{ sku: string }>) => Promise<Host>;

export const common = (h: AdminHarness) => ({
  store: h.store,
  deadLetterQueue: h.dlq,
  logger: false as const,
  sampleThroughput: false,
  processMetrics: false,
});

export const hosts: Record<string, Start> = {
  async express(h, queue) {
    const app = express();
    const admin = expressAdapter.redriveExpress({
      ...common(h),
      authenticate: (req) => sessionOf(req.headers['x-session']),
    });
    app.use(MOUNT, admin.router);
    app.post(
      '/orders',
      express.json(),
      expressAdapter.enqueueHandler(queue, (req) => ({
        name: jobName(req.body),
        payload: req.body as Order,
      })),
    );
    return listening(app.listen(0, '127.0.0.1'), admin);
  },
  async fastify(h, queue) {
    const app = Fastify();
    // The host's own auth, as a hook decorating its request.
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      (request as FastifyRequest & { user: HostIdentity | null }).user = sessionOf(
        request.headers['x-session'],
      );
    });
    await app.register(fastifyAdapter.redriveFastify, {
      prefix: MOUNT,
      ...common(h),
      authenticate: (request) => (request as FastifyRequest & { user: HostIdentity | null }).user,
    });
    app.post(
      '/orders',
      fastifyAdapter.enqueueHandler(queue, (request) => ({
        name: jobName(request.body),
        payload: request.body as Order,
      })),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: () => app.close(),
    };
  },
  async hono(h, queue) {
    const app = new Hono();
    const admin = honoAdapter.redriveHono({
      ...common(h),
      authenticate: (c) => sessionOf(c.req.header('x-session')),
    });
    honoAdapter.mountRedrive(app, MOUNT, admin);
    app.post(
      '/orders',
      honoAdapter.enqueueHandler(queue, async (c) => {
        const body = (await c.req.json()) as Order;
        return { name: jobName(body), payload: body };
      }),
    );
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }), admin);
  },
};
