/**
 * The admin API through fastify.inject: the dashboard files and their content security policy.
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

describe('dashboard files', () => {
  it('serves index.html and assets without auth, with a strict CSP; nothing outside the web root', async () => {
    const index = await h.call(null, 'GET', '/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.body).toContain('assets/app.js');
    const js = await h.call(null, 'GET', '/assets/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await h.call(null, 'GET', '/assets/app.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const url of [
      '/assets/notes.txt',
      '/assets/../admin.db',
      '/assets/%2e%2e/admin.db',
      '/assets/.hidden.js',
      '/assets/nope.js',
    ]) {
      expect((await h.call(null, 'GET', url)).statusCode, url).toBe(404);
    }
  });
});
