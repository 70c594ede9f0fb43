/**
 * The framework adapters mounted in real servers of each framework on an ephemeral port, called
 * over HTTP: the host's own authentication (a session header the host resolves) decides the actor
 * and role; a request it refuses is 401, a role too low 403; a forged identity reference is not
 * honoured; the mount point redirects to its trailing slash; the enqueue helper adds a job.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../src/adapters/express.js';
import * as fastifyAdapter from '../../src/adapters/fastify.js';
import * as honoAdapter from '../../src/adapters/hono.js';
import { HANDOFF_HEADER, type HostIdentity } from '../../src/adapters/mount.js';
import { Queue } from '../../src/index.js';
import { type AdminHarness, createAdminHarness } from '../admin/helpers.js';

const MOUNT = '/ops/redrive';

/** The host's sessions: what its own login would have established. */
const SESSIONS: Record<string, HostIdentity> = {
  's-viewer': { actor: 'vic@example.com', role: 'viewer' },
  's-operator': { actor: 'ola@example.com', role: 'operator' },
};

function sessionOf(header: string | string[] | undefined | null): HostIdentity | null {
  return typeof header === 'string' ? (SESSIONS[header] ?? null) : null;
}

type Order = { sku: string; kind?: string };

/** The job's name comes from the request, so a client can send an invalid one. */
const jobName = (body: unknown) => (body as Order).kind ?? 'order';

interface Host {
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

type Start = (h: AdminHarness, queue: Queue<{ sku: string }>) => Promise<Host>;

const common = (h: AdminHarness) => ({
  store: h.store,
  deadLetterQueue: h.dlq,
  logger: false as const,
  sampleThroughput: false,
  processMetrics: false,
});

const hosts: Record<string, Start> = {
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

describe.each(Object.keys(hosts))('redrive/%s', (framework) => {
  let h: AdminHarness;
  let queue: Queue<{ sku: string }>;
  let host: Host;

  beforeEach(async () => {
    h = createAdminHarness();
    queue = new Queue<{ sku: string }>('orders', { store: h.store });
    host = await hosts[framework]!(h, queue);
  });

  afterEach(async () => {
    await host.close();
    await h.close();
  });

  const call = (path: string, session: string | null, init: RequestInit = {}) =>
    fetch(`${host.url}${path}`, {
      redirect: 'manual',
      ...init,
      headers: { ...(session ? { 'x-session': session } : {}), ...(init.headers as Record<string, string>) },
    });

  it('answers the API under the mount point as the host says who is calling', async () => {
    await queue.add('order', { sku: 'a-1' });
    const overview = await call(`${MOUNT}/api/overview`, 's-viewer');
    expect(overview.status).toBe(200);
    expect(JSON.stringify(await overview.json())).toContain('orders');
    const me = await call(`${MOUNT}/api/whoami?x=1`, 's-operator');
    expect(await me.json()).toEqual({ actor: 'ola@example.com', role: 'operator' });
  });

  it('refuses a caller the host does not know (401), a forged reference, and a role too low (403)', async () => {
    const anonymous = await call(`${MOUNT}/api/overview`, null);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const forged = await call(`${MOUNT}/api/overview`, null, { headers: { [HANDOFF_HEADER]: 'guess' } });
    expect(forged.status).toBe(401);
    await queue.add('order', { sku: 'a-1' });
    const pause = await call(`${MOUNT}/api/queues/orders/pause`, 's-viewer', { method: 'POST' });
    expect(pause.status).toBe(403);
  });

  it('passes JSON bodies through and audits the host actor', async () => {
    const id = await h.deadLetter();
    const detail = (await (await call(`${MOUNT}/api/dead-letters/${id}`, 's-viewer')).json()) as {
      generation: number;
    };
    const resolved = await call(`${MOUNT}/api/dead-letters/${id}/resolve`, 's-operator', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ generation: detail.generation, note: 'fixed upstream' }),
    });
    expect(resolved.status).toBe(200);
    const audit = (await (await call(`${MOUNT}/api/audit?deadLetterId=${id}`, 's-viewer')).json()) as {
      items: { action: string; actor: string }[];
    };
    expect(audit.items.find((e) => e.action === 'resolve')).toMatchObject({ actor: 'ola@example.com' });
  });

  it('serves the dashboard below the mount point, redirecting the bare mount to its slash', async () => {
    const bare = await call(MOUNT, null);
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe(`${MOUNT}/`);
    const page = await call(`${MOUNT}/`, null);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('assets/app.js');
    const asset = await call(`${MOUNT}/assets/app.js`, null);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
  });

  it('enqueues from a request handler; invalid input is a 400', async () => {
    const ok = await call('/orders', null, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'b-2' }),
    });
    expect(ok.status).toBe(202);
    const job = (await ok.json()) as { id: string; created: boolean };
    expect(job.created).toBe(true);
    expect(await h.store.getJob({ id: job.id })).toMatchObject({ queue: 'orders', payload: { sku: 'b-2' } });
    const refused = await call('/orders', null, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'b-3', kind: '' }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('redrive/express behind a body parser', () => {
  it('sends the already parsed JSON body on', async () => {
    const h = createAdminHarness();
    const app = express();
    app.use(express.json());
    const admin = expressAdapter.redriveExpress({
      ...common(h),
      authenticate: () => SESSIONS['s-operator']!,
    });
    app.use(MOUNT, admin.router);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MOUNT}`;
      const id = await h.deadLetter();
      const { generation } = (await (await fetch(`${url}/api/dead-letters/${id}`)).json()) as {
        generation: number;
      };
      const resolved = await fetch(`${url}/api/dead-letters/${id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ generation, note: 'parsed twice' }),
      });
      expect(resolved.status).toBe(200);
      expect(await h.dlq.get(id)).toMatchObject({ status: 'resolved' });
    } finally {
      server.close();
      await admin.close();
      await h.close();
    }
  });
});
