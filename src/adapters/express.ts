/**
 * `redrive/express`: the admin API and dashboard mounted in an Express app, and a route handler
 * that enqueues a job. Express is an optional peer dependency, only this entry point refers to it.
 *
 * ```ts
 * const admin = redriveExpress({ store, authenticate: (req) => req.user && { actor: req.user.name, role: 'operator' } });
 * app.use('/ops/redrive', admin.router);
 * app.post('/orders', express.json(), enqueueHandler(queue, (req) => ({ name: 'order', payload: req.body })));
 * ```
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Queue } from '../queue/queue.js';
import { type BuildJob, enqueueFor } from './enqueue.js';
import { belowMount, MountedAdmin, type MountOptions } from './mount.js';

export type { BuildJob, EnqueueSpec } from './enqueue.js';
export type { HostAuthenticate, HostIdentity } from './mount.js';

/** Options of {@link redriveExpress}: the admin server's, and the host's `authenticate(req)`. */
export type ExpressAdminOptions = MountOptions<Request>;

/** The admin API and dashboard as Express middleware. */
export interface ExpressAdmin {
  /** Mount it with `app.use(path, admin.router)`, before any body parser of that path. */
  readonly router: RequestHandler;
  /** The embedded admin server (metrics, `attachWorker`). */
  readonly admin: MountedAdmin<Request>['server'];
  /** Stops the embedded admin server (not the store). */
  close(): Promise<void>;
}

/**
 * Serves the admin API and the dashboard below the path the router is mounted at. Each request's
 * actor and role come from `authenticate(req)`; `null` answers 401.
 */
export function redriveExpress(options: ExpressAdminOptions): ExpressAdmin {
  const mounted = new MountedAdmin<Request>(options);
  const router: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const mount = req.baseUrl;
    const target = belowMount(mount, req.originalUrl.slice(mount.length));
    if ('redirect' in target) {
      res.redirect(308, target.redirect);
      return;
    }
    // A body parser mounted before the router has read the stream: the parsed body is sent on.
    const forwarded =
      req.body !== undefined && req.readableEnded
        ? mounted
            .forward(req, {
              method: req.method,
              path: target.path,
              headers: flatHeaders(req.headers),
              body: Buffer.from(JSON.stringify(req.body)),
              remoteAddress: req.socket.remoteAddress,
            })
            .then((answer) => {
              res.status(answer.status);
              for (const [name, value] of Object.entries(answer.headers)) {
                if (value !== undefined && name !== 'content-length') res.setHeader(name, value);
              }
              res.end(answer.body);
            })
        : mounted.routeNode(req, req, res, target.path);
    forwarded.catch(next);
  };
  return { router, admin: mounted.server, close: () => mounted.close() };
}

function flatHeaders(headers: Request['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding')
      out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * A route handler that enqueues the job `build(req)` makes and answers `202 { id, queue, name,
 * created }`, or 400 (validation) / 503 (backpressure) with `{ error: { code, message } }`.
 */
export function enqueueHandler<Payload>(
  queue: Queue<Payload>,
  build: BuildJob<Request, Payload>,
): RequestHandler {
  return (req, res, next) => {
    enqueueFor(queue, build, req)
      .then((answer) => {
        res.status(answer.status).json(answer.body);
      })
      .catch(next);
  };
}
