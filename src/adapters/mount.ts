/**
 * What the framework adapters share: an admin server whose callers are identified by the host
 * application, and the hand-off of that identity to it. The host's callback runs on the host's own
 * request object (its session, its user); the identity it returns is parked under a random
 * reference carried in a header of the forwarded request, which only this process can mint, and
 * dropped once the response is written.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Identity, isRole, type Role } from '../admin/auth.js';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '../admin/server.js';
import { ValidationError } from '../core/errors.js';

/** Who the host application says is calling: the audit trail's actor and the role. */
export interface HostIdentity {
  actor: string;
  role: Role;
}

/** The host's authentication: the caller of `request`, or `null`/`undefined` to refuse it (401). */
export type HostAuthenticate<Request> = (
  request: Request,
) => HostIdentity | null | undefined | Promise<HostIdentity | null | undefined>;

/** Options of every adapter: the admin server's, with the host's authentication instead of tokens. */
export interface MountOptions<Request>
  extends Omit<AdminServerOptions, 'host' | 'port' | 'tokens' | 'trustedProxies' | 'identify'> {
  /** Decides the actor and role of each request from the host's own authentication. */
  authenticate: HostAuthenticate<Request>;
}

/** The request header carrying the identity reference to the admin server. */
export const HANDOFF_HEADER = 'x-redrive-identity-ref';

/** A forwarded request's answer (for adapters that build their own response). */
export interface ForwardedResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** An admin server embedded in a host application. */
export class MountedAdmin<Request> {
  /** The embedded admin server (metrics, `attachWorker`, `close`). */
  readonly server: AdminServer;
  private readonly authenticate: HostAuthenticate<Request>;
  private readonly pending = new Map<string, Identity>();
  private readonly ready: Promise<void>;

  constructor(options: MountOptions<Request>) {
    const { authenticate, ...rest } = options;
    if (typeof authenticate !== 'function') {
      throw new ValidationError('authenticate', 'must be a function (request) => { actor, role } | null');
    }
    this.authenticate = authenticate;
    this.server = createAdminServer({
      ...rest,
      identify: (raw) => {
        const ref = raw.headers[HANDOFF_HEADER];
        return typeof ref === 'string' ? (this.pending.get(ref) ?? null) : null;
      },
    });
    const app = this.server.app;
    this.ready = (async () => {
      await app.ready();
    })();
    // Surfaced by the first forwarded request instead, which awaits it.
    this.ready.catch(() => {});
  }

  /**
   * Runs the host's authentication and parks the identity; returns the reference to send in
   * {@link HANDOFF_HEADER} (or `null`: refused), and a release function to call when answered.
   */
  async identify(request: Request): Promise<{ ref: string | null; release: () => void }> {
    const result = await this.authenticate(request);
    if (result === null || result === undefined) return { ref: null, release: () => {} };
    if (typeof result.actor !== 'string' || result.actor.trim() === '' || !isRole(result.role)) {
      throw new ValidationError('authenticate', 'must return { actor: string, role: viewer|operator|admin }');
    }
    const ref = randomUUID();
    this.pending.set(ref, { actor: result.actor.trim().slice(0, 200), role: result.role, via: 'host' });
    return { ref, release: () => this.pending.delete(ref) };
  }

  /**
   * Hands a Node request to the admin server. `path` is the URL below the mount point (starting
   * with `/`); the request's body must not have been read yet.
   */
  async routeNode(request: Request, raw: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    await this.ready;
    const { ref, release } = await this.identify(request);
    setHandoff(raw.headers, ref);
    raw.url = path;
    const done = new Promise<void>((resolve) => {
      res.once('close', resolve);
      res.once('finish', resolve);
    });
    this.server.app.routing(raw, res);
    await done;
    release();
  }

  /** Hands a request to the admin server in memory (for hosts that do not expose Node's req/res). */
  async forward(
    request: Request,
    input: {
      method: string;
      path: string;
      headers: Record<string, string>;
      body?: Buffer | undefined;
      remoteAddress?: string | undefined;
    },
  ): Promise<ForwardedResponse> {
    await this.ready;
    const { ref, release } = await this.identify(request);
    const headers: Record<string, string | string[] | undefined> = { ...input.headers };
    setHandoff(headers, ref);
    try {
      const response = await this.server.app.inject({
        method: input.method as 'GET',
        url: input.path,
        headers: headers as Record<string, string>,
        ...(input.body && input.body.length > 0 ? { payload: input.body } : {}),
        ...(input.remoteAddress ? { remoteAddress: input.remoteAddress } : {}),
      });
      return { status: response.statusCode, headers: response.headers, body: response.rawPayload };
    } finally {
      release();
    }
  }

  /** Closes the admin server (not the store). */
  close(): Promise<void> {
    return this.server.close();
  }
}

/** A client cannot choose the reference: whatever it sent is replaced or removed. */
function setHandoff(headers: Record<string, string | string[] | undefined>, ref: string | null): void {
  delete headers[HANDOFF_HEADER];
  if (ref !== null) headers[HANDOFF_HEADER] = ref;
}

/**
 * Where a request below the mount point goes, or a redirect: the dashboard's URLs are relative to
 * its page, so the mount point itself must end with `/`.
 */
export function belowMount(mount: string, rest: string): { path: string } | { redirect: string } {
  const [pathname = '', query] = splitQuery(rest);
  if (pathname === '' && !mount.endsWith('/')) {
    return { redirect: `${mount}/${query === undefined ? '' : `?${query}`}` };
  }
  const path = pathname.startsWith('/') ? pathname : `/${pathname}`;
  return { path: query === undefined ? path : `${path}?${query}` };
}

function splitQuery(url: string): [string, string | undefined] {
  const i = url.indexOf('?');
  return i < 0 ? [url, undefined] : [url.slice(0, i), url.slice(i + 1)];
}
