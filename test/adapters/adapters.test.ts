/**
 * The framework adapters mounted in real servers of each framework on an ephemeral port, called
 * over HTTP: the host's own authentication (a session header the host resolves) decides the actor
 * and role; a request it refuses is 401, a role too low 403; a forged identity reference is not
 * honoured; the mount point redirects to its trailing slash; the enqueue helper adds a job.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../src/adapters/express.js';
import { HANDOFF_HEADER } from '../../src/adapters/mount.js';
import { Queue } from '../../src/index.js';
import { type AdminHarness, createAdminHarness } from '../admin/helpers.js';
import { common, type Host, hosts, MOUNT, SESSIONS } from './hosts.js';

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
