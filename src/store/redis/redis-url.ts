/**
 * Redis store URLs: `redis://[user:password@]host[:port][/db][?prefix=<prefix>&clock=server|caller]`
 * (or `rediss://` for TLS). `prefix`, `clock`, `durability` (`async` | `replicated`), `cluster`,
 * `slots` (`store` | `queue`: one slot per queue, see QueueSlotRedisStore) and `format` (the
 * `formatVersion` option: the format version to raise the store to) are the store's options; the
 * rest is handed to ioredis as it is.
 *
 * A Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port...][?...]` (every node
 * listed is a startup node; one reachable node is enough), or any `redis://host:port` URL with
 * `?cluster=true`.
 */
import { ValidationError } from '../../core/errors.js';
import { redactUrlPassword } from '../url-credentials.js';
import { DEFAULT_PREFIX, FORMAT_VERSIONS } from './keys.js';
import type { RedisStoreOptions } from './redis-store.js';

const STORE_PARAMS = new Set(['prefix', 'clock', 'durability', 'cluster', 'slots', 'format']);

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/** Whether a URL names a Redis store. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?(\+cluster)?:\/\//i.test(url.trim());
}

/** Startup nodes of a `redis+cluster://` URL (whose authority lists several host:port pairs). */
function clusterNodes(url: string, authority: string): { host: string; port: number }[] {
  return authority.split(',').map((part) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part.trim());
    if (!match) throw new ValidationError('url', `'${url}': '${part}' is not host:port`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 6379 };
  });
}

/**
 * The {@link RedisStoreOptions} a URL names.
 *
 * @throws ValidationError naming `url` when it is not a Redis URL, or its prefix or clock is invalid
 */
export function redisStoreOptionsFromUrl(url: string): RedisStoreOptions {
  const text = url.trim();
  const cluster = CLUSTER_SCHEME.exec(text);
  // A cluster URL lists several nodes, which URL cannot parse: parse it with the first node only.
  let nodes: { host: string; port: number }[] | undefined;
  let single = text;
  if (cluster) {
    const rest = text.slice(cluster[0].length);
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    const at = authority.lastIndexOf('@');
    const credentials = at < 0 ? '' : authority.slice(0, at + 1);
    nodes = clusterNodes(url, authority.slice(at + 1));
    const first = nodes[0]!;
    const host = first.host.includes(':') ? `[${first.host}]` : first.host;
    single = `${cluster[1]}://${credentials}${host}:${first.port}${end < 0 ? '' : rest.slice(end)}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(single);
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
  const durability = parsed.searchParams.get('durability') ?? 'async';
  if (durability !== 'async' && durability !== 'replicated') {
    throw new ValidationError(
      'url',
      `durability must be 'async' or 'replicated', got ${JSON.stringify(durability)}`,
    );
  }
  const slots = parsed.searchParams.get('slots') ?? 'store';
  if (slots !== 'store' && slots !== 'queue') {
    throw new ValidationError('url', `slots must be 'store' or 'queue', got ${JSON.stringify(slots)}`);
  }
  const format = parsed.searchParams.get('format');
  if (format !== null && !(FORMAT_VERSIONS as readonly number[]).some((v) => String(v) === format)) {
    throw new ValidationError(
      'url',
      `format must be one of ${FORMAT_VERSIONS.join(', ')}, got ${JSON.stringify(format)}`,
    );
  }
  const clusterParam = parsed.searchParams.get('cluster');
  if (clusterParam !== null && !['true', '1', 'false', '0'].includes(clusterParam)) {
    throw new ValidationError('url', `cluster must be true or false, got ${JSON.stringify(clusterParam)}`);
  }
  for (const name of STORE_PARAMS) parsed.searchParams.delete(name);
  const options: RedisStoreOptions = {
    prefix,
    clock,
    durability,
    ...(slots === 'queue' ? { slots } : {}),
    ...(format !== null ? { formatVersion: Number(format) as RedisStoreOptions['formatVersion'] } : {}),
  };
  if (nodes || clusterParam === 'true' || clusterParam === '1') {
    if (db !== '' && db !== '0')
      throw new ValidationError('url', `'${url}': a Redis Cluster has only database 0`);
    const redisOptions: RedisStoreOptions['redisOptions'] = {};
    if (parsed.username) redisOptions.username = decodeURIComponent(parsed.username);
    if (parsed.password) redisOptions.password = decodeURIComponent(parsed.password);
    if (parsed.protocol === 'rediss:') redisOptions.tls = {};
    const startup = nodes ?? [
      { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) },
    ];
    return { ...options, cluster: { nodes: startup }, redisOptions };
  }
  return { url: parsed.toString(), ...options };
}

/** The URL without its password, for messages. */
export const redactRedisUrl = redactUrlPassword;
