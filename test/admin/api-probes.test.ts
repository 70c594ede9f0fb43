/**
 * The admin API through fastify.inject: health and readiness probes, whoami for each token, and
 * unknown routes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminHarness, createAdminHarness } from './helpers.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

describe('probes and identity', () => {
  it('healthz and readyz answer without auth; readyz is 503 when the store is down', async () => {
    expect((await h.call(null, 'GET', '/healthz')).json()).toEqual({ ok: true });
    expect((await h.call(null, 'GET', '/readyz')).statusCode).toBe(200);
    await h.store.close();
    const down = await h.call(null, 'GET', '/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('whoami names the actor and role of each token; no or a bad token is 401', async () => {
    expect((await h.call('viewer', 'GET', '/api/whoami')).json()).toEqual({ actor: 'vera', role: 'viewer' });
    expect((await h.call('operator', 'GET', '/api/whoami')).json()).toEqual({
      actor: 'otto',
      role: 'operator',
    });
    expect((await h.call('admin', 'GET', '/api/whoami')).json()).toEqual({ actor: 'ada', role: 'admin' });

    const none = await h.call(null, 'GET', '/api/whoami');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = await h.call(null, 'GET', '/api/whoami', undefined, {
      headers: { authorization: 'Bearer not-a-token-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'unknown token' } });
    const basic = await h.call(null, 'GET', '/api/whoami', undefined, {
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('unknown routes are a JSON 404', async () => {
    const r = await h.call('viewer', 'GET', '/api/nothing-here');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
