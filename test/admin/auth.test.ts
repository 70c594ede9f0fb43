/**
 * Authentication: reverse-proxy identity only from trusted addresses, the loopback-only
 * token-less mode, refusing to listen publicly without auth, configuration validation.
 */
import { describe, expect, it } from 'vitest';
import { Authenticator, isLoopbackHost, roleAtLeast, validateAuthConfig } from '../../src/admin/auth.js';
import { createAdminServer } from '../../src/admin/server.js';
import { SqliteStore, ValidationError } from '../../src/index.js';
import { createAdminHarness, PROXY_ADDRESS } from './helpers.js';

const proxyHeaders = { 'x-forwarded-user': 'grace@corp.example', 'x-forwarded-role': 'admin' };

describe('reverse-proxy identity', () => {
  it('is honoured from a trusted proxy address (also IPv4-mapped IPv6)', async () => {
    const h = createAdminHarness();
    try {
      for (const remoteAddress of [PROXY_ADDRESS, `::ffff:${PROXY_ADDRESS}`]) {
        const r = await h.call(null, 'GET', '/api/whoami', undefined, {
          remoteAddress,
          headers: proxyHeaders,
        });
        expect(r.statusCode, remoteAddress).toBe(200);
        expect(r.json()).toEqual({ actor: 'grace@corp.example', role: 'admin' });
      }
      const noRole = await h.call(null, 'GET', '/api/whoami', undefined, {
        remoteAddress: PROXY_ADDRESS,
        headers: { 'x-forwarded-user': 'lin' },
      });
      expect(noRole.json()).toEqual({ actor: 'lin', role: 'viewer' });
      const badRole = await h.call(null, 'GET', '/api/whoami', undefined, {
        remoteAddress: PROXY_ADDRESS,
        headers: { 'x-forwarded-user': 'lin', 'x-forwarded-role': 'root' },
      });
      expect(badRole.statusCode).toBe(401);

      // The proxy's admin can force-redrive; the audit trail names the proxy user.
      const id = await h.deadLetter({ domain: 'payment' });
      const entry = await h.dlq.mustGet(id);
      const redrive = await h.call(
        null,
        'POST',
        `/api/dead-letters/${id}/redrive`,
        { generation: entry.generation, reason: 'sso' },
        {
          remoteAddress: PROXY_ADDRESS,
          headers: proxyHeaders,
        },
      );
      expect(redrive.statusCode).toBe(200);
      const audit = await h.dlq.audit({ id });
      expect(audit.items.some((e) => e.actor === 'grace@corp.example')).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('is ignored from any other address: the caller needs a token, and the token decides the role', async () => {
    const h = createAdminHarness();
    try {
      const spoofed = await h.call(null, 'GET', '/api/whoami', undefined, {
        remoteAddress: '10.0.0.6',
        headers: proxyHeaders,
      });
      expect(spoofed.statusCode).toBe(401);
      const withToken = await h.call('viewer', 'GET', '/api/whoami', undefined, {
        remoteAddress: '10.0.0.6',
        headers: proxyHeaders,
      });
      expect(withToken.json()).toEqual({ actor: 'vera', role: 'viewer' });
      const id = await h.deadLetter();
      const denied = await h.call(
        'viewer',
        'POST',
        '/api/dead-letters/purge',
        { olderThanDays: 1 },
        {
          remoteAddress: '127.0.0.1',
          headers: proxyHeaders,
        },
      );
      expect(denied.statusCode).toBe(403);
      expect(await h.dlq.get(id)).not.toBeNull();
    } finally {
      await h.close();
    }
  });
});

describe('token-less mode and listening', () => {
  it('without credentials, loopback callers are a local admin, and only loopback Host headers pass', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const server = createAdminServer({
      store,
      logger: false,
      sampleThroughput: false,
      processMetrics: false,
    });
    try {
      const local = await server.app.inject({ url: '/api/whoami', headers: { host: '127.0.0.1:7878' } });
      expect(local.json()).toEqual({ actor: 'local', role: 'admin' });
      const rebinding = await server.app.inject({
        url: '/api/whoami',
        headers: { host: 'evil.example:7878' },
      });
      expect(rebinding.statusCode).toBe(403);
      await expect(server.listen({ host: '0.0.0.0', port: 0 })).rejects.toThrow(
        /refusing to listen on 0\.0\.0\.0/,
      );
      const { url, port } = await server.listen({ port: 0 });
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      const health = await fetch(`${url}healthz`);
      expect(await health.json()).toEqual({ ok: true });
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('with tokens, listens on a non-loopback address', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const server = createAdminServer({
      store,
      tokens: [{ token: 'a-long-enough-token', role: 'viewer', actor: 'v' }],
      logger: false,
      sampleThroughput: false,
      processMetrics: false,
    });
    try {
      const { port } = await server.listen({ host: '0.0.0.0', port: 0 });
      const r = await fetch(`http://127.0.0.1:${port}/api/whoami`, {
        headers: { authorization: 'Bearer a-long-enough-token' },
      });
      expect(await r.json()).toEqual({ actor: 'v', role: 'viewer' });
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('configuration and helpers', () => {
  it('validates tokens and proxies, naming the field', () => {
    const bad: [Parameters<typeof validateAuthConfig>, string][] = [
      [[[{ token: 'short', role: 'admin', actor: 'a' }], undefined], 'tokens.0.token'],
      [[[{ token: 'long-enough-token', role: 'root' as never, actor: 'a' }], undefined], 'tokens.0.role'],
      [[[{ token: 'long-enough-token', role: 'admin', actor: ' ' }], undefined], 'tokens.0.actor'],
      [[[], { addresses: [], userHeader: 'x-user', roleHeader: 'x-role' }], 'trustedProxies.addresses'],
      [
        [[], { addresses: ['proxy.local'], userHeader: 'x-user', roleHeader: 'x-role' }],
        'trustedProxies.addresses.0',
      ],
      [
        [[], { addresses: ['10.0.0.1'], userHeader: 'x user', roleHeader: 'x-role' }],
        'trustedProxies.userHeader',
      ],
    ];
    for (const [args, field] of bad) {
      try {
        validateAuthConfig(...args);
        expect.unreachable(field);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
    }
    const store = new SqliteStore({ path: ':memory:' });
    expect(() => createAdminServer({ store, bodyLimit: 10, logger: false })).toThrow(/bodyLimit/);
    void store.close();
  });

  it('compares every token and picks the matching one', () => {
    const auth = new Authenticator(
      [
        { token: 'first-token-000', role: 'viewer', actor: 'a' },
        { token: 'second-token-00', role: 'admin', actor: 'b' },
      ],
      undefined,
    );
    const headers = (t: string) => ({
      headers: { authorization: `Bearer ${t}` },
      remoteAddress: '127.0.0.1',
    });
    expect(auth.authenticate(headers('second-token-00'))).toEqual({
      actor: 'b',
      role: 'admin',
      via: 'token',
    });
    expect(() => auth.authenticate(headers('second-token-0'))).toThrow(/unknown token/);
    expect(() => auth.authenticate({ headers: {}, remoteAddress: '127.0.0.1' })).toThrow(
      /authentication required/,
    );
  });

  it('orders roles and recognises loopback hosts', () => {
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com'])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
