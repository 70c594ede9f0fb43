/**
 * Redis store URLs: `redis://[user:password@]host[:port][/db][?prefix=<prefix>&clock=server|caller]`
 * (or `rediss://` for TLS). `prefix` and `clock` are the store's options; the rest is handed to
 * ioredis as it is.
 */
import { ValidationError } from '../../core/errors.js';
import { redactUrlPassword } from '../url-credentials.js';
import { DEFAULT_PREFIX } from './keys.js';
import type { RedisStoreOptions } from './redis-store.js';

const STORE_PARAMS = new Set(['prefix', 'clock']);

/** Whether a URL names a Redis store. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//i.test(url.trim());
}

/**
 * The {@link RedisStoreOptions} a URL names.
 *
 * @throws ValidationError naming `url` when it is not a Redis URL, or its prefix or clock is invalid
 */
export function redisStoreOptionsFromUrl(url: string): RedisStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ValidationError('url', `'${url}' is not a URL (expected redis://host:port)`);
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new ValidationError(
      'url',
      `'${url}' is not a Redis URL (expected redis://host:port or rediss://...)`,
    );
  }
  if (parsed.hostname === '')
    throw new ValidationError('url', `'${url}' names no host (expected redis://host:port)`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new ValidationError('url', `'${url}': the path must be a database number (redis://host:port/0)`);
  }
  const prefix = parsed.searchParams.get('prefix') ?? DEFAULT_PREFIX;
  if (prefix === '' || /[{}]/.test(prefix)) {
    throw new ValidationError(
      'url',
      `prefix must be non-empty and without { or }, got ${JSON.stringify(prefix)}`,
    );
  }
  const clock = parsed.searchParams.get('clock') ?? 'server';
  if (clock !== 'server' && clock !== 'caller') {
    throw new ValidationError('url', `clock must be 'server' or 'caller', got ${JSON.stringify(clock)}`);
  }
  for (const name of STORE_PARAMS) parsed.searchParams.delete(name);
  return { url: parsed.toString(), prefix, clock };
}

/** The URL without its password, for messages. */
export const redactRedisUrl = redactUrlPassword;
