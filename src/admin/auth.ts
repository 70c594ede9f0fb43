/**
 * Authentication of the admin server: bearer tokens with roles (viewer < operator < admin),
 * compared in constant time, and, for teams behind an SSO proxy, identity and role taken from
 * headers — honoured only when the TCP peer is one of the configured proxy addresses.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { RedriveError, ValidationError } from '../core/errors.js';

/** The roles, lowest first. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/** A role: viewer (read), operator (retry, resolve, pause), admin (force-redrive, purge). */
export type Role = (typeof ROLES)[number];

/** A configured bearer token. */
export interface AdminToken {
  token: string;
  role: Role;
  /** Written to the audit trail as the actor. */
  actor: string;
}

/** Reverse-proxy identity headers, trusted only from these peer addresses. */
export interface TrustedProxies {
  /** IP addresses of the proxies (exact match; IPv4-mapped IPv6 addresses match their IPv4 form). */
  addresses: readonly string[];
  /** Header holding the user's name, e.g. `x-forwarded-user`. */
  userHeader: string;
  /** Header holding the role (`viewer`, `operator`, `admin`); absent means `viewer`. */
  roleHeader: string;
}

/** Who is calling. */
export interface Identity {
  actor: string;
  role: Role;
  /** `host`: decided by the embedding application's own authentication (framework adapters). */
  via: 'token' | 'proxy' | 'anonymous' | 'host';
}

/** Whether `role` is at least `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Whether `value` is a role name. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** 401: no or unknown credentials. */
export class UnauthorizedError extends RedriveError {
  constructor(message: string) {
    super('UNAUTHORIZED', 401, message);
  }
}

/** 403: the role is too low (defined in core, where every layer can name it). */
export { ForbiddenError } from '../core/errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Strips the IPv4-mapped IPv6 prefix, so `::ffff:10.0.0.1` matches `10.0.0.1`. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** Whether a host name or address is loopback (the server may run without auth only there). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = normalizeAddress(h);
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Validates and normalizes the auth configuration. */
export function validateAuthConfig(
  tokens: readonly AdminToken[] | undefined,
  proxies: TrustedProxies | undefined,
): { tokens: AdminToken[]; proxies: TrustedProxies | undefined } {
  const list = tokens ?? [];
  if (!Array.isArray(list)) throw new ValidationError('tokens', 'must be an array of { token, role, actor }');
  list.forEach((t, i) => {
    if (typeof t?.token !== 'string' || t.token.length < 8)
      throw new ValidationError(`tokens.${i}.token`, 'must be a string of at least 8 characters');
    if (!isRole(t.role)) throw new ValidationError(`tokens.${i}.role`, `must be one of ${ROLES.join(', ')}`);
    if (typeof t.actor !== 'string' || t.actor.trim() === '')
      throw new ValidationError(`tokens.${i}.actor`, 'must name who uses the token');
  });
  if (proxies !== undefined) {
    if (!Array.isArray(proxies.addresses) || proxies.addresses.length === 0)
      throw new ValidationError('trustedProxies.addresses', 'must list at least one proxy IP address');
    proxies.addresses.forEach((a, i) => {
      if (typeof a !== 'string' || isIP(normalizeAddress(a)) === 0)
        throw new ValidationError(`trustedProxies.addresses.${i}`, `must be an IP address, got ${String(a)}`);
    });
    for (const key of ['userHeader', 'roleHeader'] as const) {
      if (typeof proxies[key] !== 'string' || !/^[A-Za-z0-9-]+$/.test(proxies[key]))
        throw new ValidationError(`trustedProxies.${key}`, 'must be an HTTP header name');
    }
  }
  return { tokens: [...list], proxies };
}

/** The request fields authentication looks at. */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string | undefined;
}

/**
 * Resolves a request to an {@link Identity}, or throws {@link UnauthorizedError}. Every configured
 * token is compared (SHA-256 digests, `timingSafeEqual`), so timing reveals neither which token
 * matched nor how much of one.
 */
export class Authenticator {
  private readonly tokens: { hash: Buffer; role: Role; actor: string }[];
  private readonly proxyAddresses: Set<string>;
  private readonly userHeader: string | undefined;
  private readonly roleHeader: string | undefined;

  constructor(
    tokens: readonly AdminToken[],
    proxies: TrustedProxies | undefined,
    /** With no tokens and no proxies: callers are this identity (loopback only; see the server). */
    private readonly anonymous: Identity | null = null,
  ) {
    this.tokens = tokens.map((t) => ({ hash: digest(t.token), role: t.role, actor: t.actor }));
    this.proxyAddresses = new Set((proxies?.addresses ?? []).map(normalizeAddress));
    this.userHeader = proxies?.userHeader.toLowerCase();
    this.roleHeader = proxies?.roleHeader.toLowerCase();
  }

  /** Whether any credential is configured. */
  get configured(): boolean {
    return this.tokens.length > 0 || this.proxyAddresses.size > 0;
  }

  authenticate(request: AuthRequest): Identity {
    const fromProxy = this.proxyAddresses.has(normalizeAddress(request.remoteAddress));
    if (fromProxy && this.userHeader) {
      const user = header(request.headers, this.userHeader);
      if (user !== undefined && user.trim() !== '') {
        const roleValue = header(request.headers, this.roleHeader ?? '');
        const role = roleValue === undefined || roleValue === '' ? 'viewer' : roleValue.trim().toLowerCase();
        if (!isRole(role)) throw new UnauthorizedError(`the proxy sent an unknown role '${roleValue}'`);
        return { actor: user.trim().slice(0, 200), role, via: 'proxy' };
      }
    }
    const authorization = header(request.headers, 'authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
      const presented = digest(match[1]!);
      let found: { role: Role; actor: string } | undefined;
      for (const t of this.tokens) {
        // No early exit: every token is compared.
        if (timingSafeEqual(presented, t.hash) && found === undefined) found = t;
      }
      if (!found) throw new UnauthorizedError('unknown token');
      return { actor: found.actor, role: found.role, via: 'token' };
    }
    if (this.anonymous && !this.configured) return this.anonymous;
    throw new UnauthorizedError('authentication required: send Authorization: Bearer <token>');
  }
}

function header(headers: AuthRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
