/**
 * `redrive chaos --proxy`: the workers reach the store through a local TCP proxy that the command
 * cuts at random moments, while the command itself talks to the store directly.
 */
import { CliError } from '../cli-error.js';
import type { StoreLocation } from '../store-url.js';
import { TcpProxy } from './tcp-proxy.js';

const DEFAULT_PORTS: Record<string, number> = { redis: 6379, postgres: 5432 };

/** The store's address: a single server of a network store. */
function serverOf(location: StoreLocation): { url: URL; host: string; port: number } {
  const raw = location.kind === 'redis' ? location.redisUrl : location.postgresUrl;
  // A store reached at several addresses (a cluster's nodes, which redirect clients to each other)
  // cannot be cut through one proxy: each kind of that sort needs its own proxying here.
  if (
    raw === undefined ||
    (location.kind !== 'redis' && location.kind !== 'postgres') ||
    /^rediss?\+cluster:/i.test(raw)
  ) {
    throw new CliError(
      `--proxy needs a single-server network store (redis:// or postgres://), not ${location.url}`,
    );
  }
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { url, host, port: url.port ? Number(url.port) : DEFAULT_PORTS[location.kind]! };
}

/** A proxy in front of the store, and the URL the workers use to reach the store through it. */
export async function startStoreProxy(location: StoreLocation): Promise<{ proxy: TcpProxy; url: string }> {
  const { url, host, port } = serverOf(location);
  const proxy = await TcpProxy.start({ host, port });
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}
