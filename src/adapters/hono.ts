/**
 * `redrive/hono`: the admin API and dashboard as a Hono sub-app, and a handler that enqueues a job.
 * Requests are handed to the embedded admin server in memory (Fetch `Request` in, `Response` out),
 * so it runs wherever the Hono app runs on Node.
 *
 * ```ts
 * const admin = redriveHono({ store, authenticate: (c) => c.get('user') ?? null });
 * app.route('/ops/redrive', admin.app);
 * app.post('/orders', enqueueHandler(queue, async (c) => ({ name: 'order', payload: await c.req.json() })));
 * ```
 */
import type { Context, Handler } from 'hono';
import type { Queue } from '../queue/queue.js';
import { type BuildJob, enqueueFor } from './enqueue.js';
import { belowMount, MountedAdmin, type MountOptions } from './mount.js';

export type { BuildJob, EnqueueSpec } from './enqueue.js';
export type { HostAuthenticate, HostIdentity } from './mount.js';

/** Options of {@link redriveHono}: the admin server's, and the host's `authenticate(c)`. */
export type HonoAdminOptions = MountOptions<Context>;

/** What {@link redriveHono} returns. */
export interface HonoAdmin {
  /** A handler for `app.all(path, ...)` and `app.all(path + '/*', ...)`; see {@link mountRedrive}. */
  readonly handler: (mount: string) => Handler;
  /** The embedded admin server (metrics, `attachWorker`). */
  readonly admin: MountedAdmin<Context>['server'];
  /** Stops the embedded admin server (not the store). */
  close(): Promise<void>;
}

/** The admin API and dashboard for a Hono app; mount it with {@link mountRedrive}. */
export function redriveHono(options: HonoAdminOptions): HonoAdmin {
  const mounted = new MountedAdmin<Context>(options);
  const handler =
    (mount: string): Handler =>
    async (c) => {
      const url = new URL(c.req.url);
      const target = belowMount(mount, url.pathname.slice(mount.length) + url.search);
      if ('redirect' in target) return c.redirect(target.redirect, 308);
      const headers: Record<string, string> = {};
      c.req.raw.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
      const answer = await mounted.forward(c, {
        method: c.req.method,
        path: target.path,
        headers,
        body: hasBody ? Buffer.from(await c.req.arrayBuffer()) : undefined,
      });
      const out = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue;
        for (const v of Array.isArray(value) ? value : [String(value)]) out.append(name, v);
      }
      const empty = answer.status === 204 || answer.status === 304 || c.req.method === 'HEAD';
      return new Response(empty ? null : new Uint8Array(answer.body), {
        status: answer.status,
        headers: out,
      });
    };
  return { handler, admin: mounted.server, close: () => mounted.close() };
}

/** Minimal shape of a Hono app this needs (keeps `hono`'s generics out of the way). */
interface HonoLike {
  all(path: string, handler: Handler): unknown;
}

/** Serves the admin API and dashboard of `admin` at `mount` (e.g. `/ops/redrive`) of `app`. */
export function mountRedrive(app: HonoLike, mount: string, admin: HonoAdmin): void {
  const base = mount.replace(/\/+$/, '');
  app.all(base || '/', admin.handler(base));
  app.all(`${base}/*`, admin.handler(base));
}

/**
 * A handler that enqueues the job `build(c)` makes and answers `202 { id, queue, name, created }`,
 * or 400 (validation) / 503 (backpressure) with `{ error: { code, message } }`.
 */
export function enqueueHandler<Payload>(queue: Queue<Payload>, build: BuildJob<Context, Payload>): Handler {
  return async (c) => {
    const answer = await enqueueFor(queue, build, c);
    return c.json(answer.body, answer.status as 202);
  };
}
