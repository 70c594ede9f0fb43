/** Options of the Redis store. */
import type { RedisOptions } from 'ioredis';
import type { RedisClient } from '../../redis/client-options.js';
import type { RedisClusterConnection } from './redis-connection.js';
import type { ReplicationOptions } from './replication.js';

/** Options of `RedisStore`. */
export interface RedisStoreOptions extends ReplicationOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * An ioredis client owned by the application: a `Redis` or a `Cluster` (not closed by the store;
   * must have no `keyPrefix`).
   */
  client?: RedisClient;
  /** A Redis Cluster the store connects to itself (instead of `url`). */
  cluster?: RedisClusterConnection;
  /** Options for the client the store creates (merged over the store's defaults). */
  redisOptions?: RedisOptions;
  /** Key prefix; every key is `{prefix}:...` (one Redis Cluster slot per store). Default `redrive`. */
  prefix?: string;
  /**
   * Key layout: `store` (default), every key under the store's hash tag, one slot; or `queue`, each
   * queue under a tag of its own, so queues spread over a cluster's nodes. `queue` is what
   * `QueueSlotRedisStore` (and {@link openRedisStore}) use; `new RedisStore` refuses it.
   */
  slots?: 'store' | 'queue';
  /** Whose clock decides leases and due times: the Redis `server` (default) or the `caller`'s `now`. */
  clock?: 'server' | 'caller';
  /** Jobs per insert script call; larger batches are several calls in one MULTI/EXEC. Default 1000. */
  insertChunk?: number;
  /**
   * Entries kept (about: trimmed with `MAXLEN ~`) in each queue's job-event stream, each entry one
   * worker's batch of events; a `QueueEvents` listener can resume from any of them. Default 10 000.
   */
  eventStreamLength?: number;
  /** Most dead letters one query may examine for conditions no index covers. Default 1,000,000. */
  maxScan?: number;
  /**
   * JSON paths of dead letters that filters use often (`payload.customerId`, `metadata.region`), as
   * the SQLite store's option: each gets a sorted set per value, kept by the scripts that store and
   * purge entries, so an equality filter on the path reads its first page from the index instead
   * of a bounded scan. Entries stored before a path was declared are indexed by the maintainer's
   * `dead-letter-counter-backfill` service; until then the filter is a bounded scan.
   */
  indexedPaths?: readonly string[];
  /**
   * Most candidates a dead-letter query examines for a JSON path or search text that no index
   * serves (the page then says how many it examined). Default 20 000.
   */
  scanBudget?: number;
  /**
   * How long a call made while the connection is down waits for it to come back before failing
   * with StoreUnavailableError. Such a call was never sent, so it had no effect. Default 2000 ms.
   */
  readyTimeoutMs?: number;
  /**
   * Raises the store's format version (the `{p}:format` key; never lowered) to this before the
   * store's first insert or failure write. Every process of this release writes the newer layout as soon as
   * the key allows it, and an earlier release would misread it: set it only once every process
   * that uses the store runs this release or a later one (docs/redis-store.md, "Format versions").
   * Default: a fresh prefix (no key, no data yet) gets the newest version; a prefix with data and
   * no key (written by an earlier release) stays at version 1; a key is left as it is.
   */
  formatVersion?: 1 | 2 | 3 | 4 | 5;
}
