/**
 * A Redis that may evict keys loses jobs and dead letters without telling anyone: once it reaches
 * `maxmemory`, any `maxmemory-policy` other than `noeviction` deletes keys to make room. The store
 * cannot prevent that, so it says so: when it first reaches a server, it reads the policy and
 * raises a process warning (code `REDRIVE_REDIS_EVICTION`) unless it is `noeviction`, once per
 * server per process.
 */
import type { RedisClient } from '../../redis/client-options.js';

/** Servers (by location) already warned about, so a process with many stores warns once. */
const warned = new Set<string>();

/** The server's `maxmemory-policy`, read from `INFO memory`; undefined when it does not say. */
export async function evictionPolicy(client: RedisClient): Promise<string | undefined> {
  const info = await client.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** Reads the policy once `client` is ready, and warns about an evicting one; returns a canceller. */
export function warnIfEvicting(client: RedisClient, location: string): () => void {
  let cancelled = false;
  const check = () => {
    if (cancelled || warned.has(location)) return;
    evictionPolicy(client).then(
      (policy) => {
        if (cancelled || policy === undefined || policy === 'noeviction' || warned.has(location)) return;
        warned.add(location);
        process.emitWarning(
          `Redis store at ${location}: maxmemory-policy is ${policy}, so Redis may delete jobs and dead letters silently once it is full; set maxmemory-policy noeviction`,
          { code: 'REDRIVE_REDIS_EVICTION' },
        );
      },
      // A server that refuses INFO (some managed services) is not checked.
      () => {},
    );
  };
  if (client.status === 'ready') check();
  else client.once('ready', check);
  return () => {
    cancelled = true;
    client.off('ready', check);
  };
}
