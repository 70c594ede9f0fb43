/**
 * What the admin routes share: the store, the dead-letter queue, optional replay queue and
 * breakers, the throughput sampler, the metrics, and the role guard.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RedriveError } from '../core/errors.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { ReplayQueue } from '../replay/replay-queue.js';
import type { Store } from '../store/store.js';
import {
  type Authenticator,
  ForbiddenError,
  type Identity,
  type Role,
  roleAtLeast,
  UnauthorizedError,
} from './auth.js';
import type { AdminMetrics, NamedBreaker } from './metrics.js';
import type { ThroughputSampler } from './throughput.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling (set by the role guard of authenticated routes). */
    identity: Identity | null;
  }
}

/** The services routes use. */
export interface AdminContext {
  store: Store;
  dlq: DeadLetterQueue;
  replayQueue: ReplayQueue<unknown> | null;
  breakers: readonly NamedBreaker[];
  throughput: ThroughputSampler;
  metrics: AdminMetrics;
  auth: Authenticator;
  /** Host names accepted in the Host header when running without credentials (DNS-rebinding guard). */
  anonymousHosts: ReadonlySet<string> | null;
  /** The embedding app's own authentication (framework adapters); replaces tokens and proxies. */
  identify: IdentifyRaw | null;
}

/** Resolves the caller from the raw request, or `null` to refuse it (401). */
export type IdentifyRaw = (raw: IncomingMessage) => Identity | null;

/** An `onRequest` hook: authenticates the caller and requires at least `role`. */
export function requireRole(ctx: AdminContext, role: Role) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const identity = ctx.identify
      ? ctx.identify(request.raw)
      : ctx.auth.authenticate({ headers: request.headers, remoteAddress: request.socket.remoteAddress });
    if (!identity) throw new UnauthorizedError('authentication required');
    if (identity.via === 'anonymous' && ctx.anonymousHosts) {
      const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!ctx.anonymousHosts.has(host)) {
        throw new ForbiddenError(`host ${host || '(none)'} is not allowed without a token`);
      }
    }
    checkOrigin(request);
    if (!roleAtLeast(identity.role, role)) {
      throw new ForbiddenError(`${identity.actor} is ${identity.role}; this needs ${role}`, {
        required: role,
        role: identity.role,
      });
    }
    request.identity = identity;
  };
}

/**
 * Refuses state-changing requests a browser sent from another origin (CSRF, for proxy-header and
 * token-less setups where the browser carries the credentials).
 */
function checkOrigin(request: FastifyRequest): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') {
    if (request.headers['sec-fetch-site'] === 'cross-site')
      throw new ForbiddenError('cross-site requests are refused');
    return;
  }
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    throw new ForbiddenError('the Origin header is malformed');
  }
  const hosts = [request.headers.host, request.headers['x-forwarded-host']]
    .flat()
    .filter((h): h is string => typeof h === 'string')
    .map((h) => h.toLowerCase());
  if (!hosts.includes(originHost)) {
    throw new ForbiddenError(`requests from origin ${origin} are refused`);
  }
}

/** The caller's identity (set by {@link requireRole}). */
export function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new RedriveError('INTERNAL', 500, 'route has no role guard');
  return request.identity;
}
