/**
 * The admin server (Fastify): the JSON API under `/api`, Prometheus metrics at `/metrics`,
 * `/healthz` and `/readyz`, and the web dashboard. The contract is docs/admin-api.md.
 *
 * ```ts
 * const admin = createAdminServer({ store, tokens: [{ token, role: 'admin', actor: 'ops' }] });
 * const { url } = await admin.listen({ port: 7878 });
 * ```
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type Logger, type LoggerOptions, pino } from 'pino';
import type { CircuitBreakerLike } from '../core/circuit-breaker.js';
import { ValidationError } from '../core/errors.js';
import { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { ReplayQueue } from '../replay/replay-queue.js';
import type { Store } from '../store/store.js';
import {
  type AdminToken,
  Authenticator,
  isLoopbackHost,
  type TrustedProxies,
  validateAuthConfig,
} from './auth.js';
import type { AdminContext, IdentifyRaw } from './context.js';
import { errorBody, handleError, MAX_PARAM_LENGTH, writeClientError } from './http-errors.js';
import { registerJsonBodyParser } from './json-body.js';
import { AdminMetrics, type NamedBreaker, type WorkerEventSource } from './metrics.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerQueueRoutes } from './routes/queues.js';
import { defaultWebRoot, registerStaticRoutes } from './routes/static.js';
import { registerSystemRoutes } from './routes/system.js';
import { ThroughputSampler } from './throughput.js';

/** The default port of `redrive serve` and `npm start`. */
export const DEFAULT_ADMIN_PORT = 7878;
/** The default request body limit (1 MiB). */
export const DEFAULT_BODY_LIMIT = 1_048_576;

/** A circuit breaker to show: a `CircuitBreaker` (named by its `name` option) or a name and a breaker. */
export type BreakerInput =
  | (Pick<CircuitBreakerLike, 'state'> & { readonly name?: string | undefined })
  | NamedBreaker;

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  store: Store;
  /** The dead-letter queue actions go through (its replay handlers). Default: one on `store` with defaults. */
  deadLetterQueue?: DeadLetterQueue;
  /** Shown in the overview and in metrics. */
  replayQueue?: ReplayQueue<unknown>;
  /** Shown in the overview and in metrics. */
  breakers?: readonly BreakerInput[];
  /** Bearer tokens and their roles. */
  tokens?: readonly AdminToken[];
  /** Identity from a reverse proxy's headers, trusted only from these addresses. */
  trustedProxies?: TrustedProxies;
  /** Default `127.0.0.1`. Another address needs tokens or trusted proxies. */
  host?: string;
  /** Default 7878; 0 picks a free port. */
  port?: number;
  /** Largest request body, in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** The dashboard's directory (index.html, app.js, app.css). Default `src/admin/web`. */
  webRoot?: string;
  /** A pino logger, pino options, or `false` for none. Default: pino at `info` on stdout. */
  logger?: Logger | LoggerOptions | false;
  /** Sample throughput (every 2 s). Default true. */
  sampleThroughput?: boolean;
  /** Export Node.js process metrics. Default true. */
  processMetrics?: boolean;
  /**
   * Ask the store to answer dead-letter queries off this process's event loop (the SQLite store
   * moves them to a reader thread), so `/healthz` and every other request answer while a
   * dashboard query runs. Default true.
   */
  readsOffThread?: boolean;
  /**
   * Who is calling, decided by the embedding application (used by the framework adapters in
   * `redrive/express`, `redrive/fastify`, `redrive/hono`): `null` refuses the request. When set,
   * tokens and trusted proxies are not consulted.
   */
  identify?: IdentifyRaw;
}

/** A running (or ready to run) admin server. */
export interface AdminServer {
  /** The Fastify instance (`app.inject()` in tests). */
  readonly app: FastifyInstance;
  readonly metrics: AdminMetrics;
  readonly throughput: ThroughputSampler;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly logger: Logger;
  /**
   * Starts listening. Refuses a non-loopback host without tokens or trusted proxies.
   *
   * @returns the URL, with the port actually bound
   */
  listen(options?: { host?: string; port?: number }): Promise<{ url: string; host: string; port: number }>;
  /** Feeds job metrics from a `Worker`'s or `WorkerPool`'s events; returns a detach function. */
  attachWorker(worker: WorkerEventSource): () => void;
  /** Stops listening and sampling. Does not close the store. */
  close(): Promise<void>;
}

function namedBreakers(breakers: readonly BreakerInput[]): NamedBreaker[] {
  return breakers.map((b, i) => {
    if ('breaker' in b && typeof (b as NamedBreaker).breaker === 'object') return b as NamedBreaker;
    const breaker = b as Pick<CircuitBreakerLike, 'state'> & { name?: string };
    return { name: breaker.name ?? `breaker-${i + 1}`, breaker };
  });
}

function createLogger(option: AdminServerOptions['logger']): Logger {
  if (option === false) return pino({ enabled: false });
  if (
    option &&
    typeof (option as Logger).info === 'function' &&
    typeof (option as Logger).child === 'function'
  ) {
    return option as Logger;
  }
  return pino({ name: 'redrive-admin', level: 'info', ...((option as LoggerOptions | undefined) ?? {}) });
}

/** Builds the admin server (routes registered, not listening yet). */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  if (!options || typeof options.store?.listQueues !== 'function') {
    throw new ValidationError('store', 'a Store is required (for example new SqliteStore({ path }))');
  }
  const { tokens, proxies } = validateAuthConfig(options.tokens, options.trustedProxies);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024 || bodyLimit > 100 * 1_048_576) {
    throw new ValidationError('bodyLimit', 'must be an integer number of bytes from 1024 to 100 MiB');
  }
  const defaultHost = options.host ?? '127.0.0.1';
  const defaultPort = options.port ?? DEFAULT_ADMIN_PORT;
  const store = options.store;
  if (options.readsOffThread !== false) store.readDeadLettersOffThread?.();
  const logger = createLogger(options.logger);
  const dlq = options.deadLetterQueue ?? new DeadLetterQueue({ store, fallbackPath: false });
  const breakers = namedBreakers(options.breakers ?? []);
  const replayQueue = options.replayQueue ?? null;
  const metrics = new AdminMetrics({
    store,
    deadLetterQueue: dlq,
    replayQueue,
    breakers,
    processMetrics: options.processMetrics !== false,
  });
  const throughput = new ThroughputSampler(store);
  const identify = options.identify ?? null;
  const auth = new Authenticator(
    tokens,
    proxies,
    identify ? null : { actor: 'local', role: 'admin', via: 'anonymous' },
  );
  if (!auth.configured && !identify) {
    logger.warn('no tokens or trusted proxies configured: every local caller is admin (loopback only)');
  }
  const ctx: AdminContext = {
    store,
    dlq,
    replayQueue,
    breakers,
    throughput,
    metrics,
    auth,
    anonymousHosts: auth.configured || identify ? null : new Set(['localhost', '127.0.0.1', '[::1]', '::1']),
    identify,
  };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit,
    // One line per API request is written by the onResponse hook below, with the actor.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // A malformed %-escape and an over-long id are answered before routing: in the same shape.
    frameworkErrors: handleError,
    clientErrorHandler: writeClientError,
  });
  app.decorateRequest('identity', null);

  // Only JSON bodies (a form or text/plain POST, which a browser may send cross-site, is a 415).
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (route.startsWith('/api/') || reply.statusCode >= 500) {
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          actor: request.identity?.actor,
        },
        'request',
      );
    }
  });
  app.addHook('onClose', async () => {
    await throughput.stop();
  });

  registerSystemRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);
  registerStaticRoutes(app, options.webRoot ?? defaultWebRoot());

  if (options.sampleThroughput !== false) throughput.start();

  let closed = false;
  return {
    app,
    metrics,
    throughput,
    deadLetterQueue: dlq,
    logger,
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? defaultHost;
      const port = listenOptions.port ?? defaultPort;
      if (!isLoopbackHost(host) && !auth.configured && !identify) {
        throw new ValidationError(
          'host',
          `refusing to listen on ${host} without authentication: configure tokens or trustedProxies, or bind 127.0.0.1`,
        );
      }
      await app.listen({ host, port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      const url = `http://${shown}:${bound}/`;
      logger.info({ url }, 'admin server listening');
      return { url, host, port: bound };
    },
    attachWorker(worker) {
      return metrics.attachWorker(worker);
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
