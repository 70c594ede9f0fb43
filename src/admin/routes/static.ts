/**
 * The dashboard's files: `/` (index.html) and `/assets/<file>` from the web root (by default
 * `src/admin/web/`, committed prebuilt: no CDN, no build at serve time). No auth: the page holds no
 * data; the API it calls does.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFoundError } from '../../core/errors.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The Content-Security-Policy of the dashboard: everything from this server, nothing else. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The default web root: next to this module in the source tree, or `src/admin/web` from `dist/`. */
export function defaultWebRoot(): string {
  const candidates = [
    new URL('../web/', import.meta.url),
    new URL('./web/', import.meta.url),
    new URL('../src/admin/web/', import.meta.url),
    new URL('../../src/admin/web/', import.meta.url),
  ].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

const SAFE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

export function registerStaticRoutes(app: FastifyInstance, webRoot: string): void {
  const root = resolve(webRoot);

  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(join(root, 'index.html'));
    } catch {
      return securityHeaders(reply)
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><title>redrive</title><p>The dashboard is not available: ' +
            'its files are missing from the web root. The API is at /api.</p>',
        );
    }
    return securityHeaders(reply).type('text/html; charset=utf-8').send(html);
  };
  app.get('/', sendIndex);
  app.get('/index.html', sendIndex);

  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const type = TYPES[extname(name).toLowerCase()];
    const full = resolve(root, name);
    if (!SAFE_PATH.test(name) || !type || !full.startsWith(root + sep)) {
      throw new NotFoundError(`no asset ${name}`);
    }
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      throw new NotFoundError(`no asset ${name}`);
    }
    return securityHeaders(reply).type(type).send(body);
  });
}
