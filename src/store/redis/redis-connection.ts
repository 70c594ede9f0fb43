/**
 * The Redis store's connection: the ioredis client (its own, or the application's), and how each
 * call behaves while Redis is unreachable. Every call settles, and says whether it had an effect:
 *
 * - made while the connection is down: waits up to `readyTimeoutMs` for it, then fails unsent;
 * - in flight when the connection drops: fails at once, marked ambiguous (ioredis, which does not
 *   resend it, would otherwise hold it until its command timeout);
 * - sent to a server that never answers: fails after ioredis' `commandTimeout`.
 *
 * Failures become {@link StoreUnavailableError} (503); see redis-errors.ts.
 */
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { StoreUnavailableError, ValidationError } from '../../core/errors.js';
import {
  isCluster,
  type RedisClient,
  STORE_CLIENT_OPTIONS,
  STORE_CLUSTER_OPTIONS,
} from '../../redis/client-options.js';
import { Cluster, Redis } from '../../redis/ioredis.js';
import { assertOpen } from '../shared/closed.js';
import { warnIfEvicting } from './eviction-check.js';
import { translateRedisError } from './redis-errors.js';

/** Why a call was abandoned: the connection closed while it waited for its reply. */
const CONNECTION_LOST = Symbol('connection lost');

/** Options of {@link RedisConnection}. */
export interface RedisConnectionOptions {
  url?: string;
  client?: RedisClient;
  cluster?: RedisClusterConnection;
  redisOptions?: RedisOptions;
  readyTimeoutMs?: number;
}

/** A Redis Cluster the store connects to itself: some of its nodes, and cluster-level options. */
export interface RedisClusterConnection {
  /** Startup nodes (any reachable one is enough; the rest are discovered). */
  nodes: { host: string; port: number }[];
  /** ioredis cluster options (merged over the store's; node options come from `redisOptions`). */
  options?: ClusterOptions;
}

/** The address of an application's client, for messages. */
function describeClient(client: RedisClient): string {
  if (isCluster(client)) {
    const nodes = (client as unknown as { startupNodes: unknown }).startupNodes as (
      | string
      | number
      | { host?: string; port?: number }
    )[];
    return `redis+cluster://${nodes.map((n) => (typeof n === 'object' ? `${n.host ?? '127.0.0.1'}:${n.port ?? 6379}` : String(n))).join(',')}`;
  }
  const o = client.options;
  return `redis://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** The key prefix a client would add to every key (a store needs none). */
function keyPrefixOf(client: RedisClient): string | undefined {
  return isCluster(client)
    ? (client.options.keyPrefix ?? client.options.redisOptions?.keyPrefix)
    : client.options.keyPrefix;
}

/** The store's connection to one Redis server or a Redis Cluster. */
export class RedisConnection {
  readonly client: RedisClient;
  /** Where the connection points, for messages (no password). */
  readonly location: string;
  private readonly ownsClient: boolean;
  private readonly readyTimeoutMs: number;
  private closed = false;
  private lastConnectionError: string | undefined;
  private readyWait: Promise<void> | undefined;
  private lost: Promise<never> | undefined;
  private readonly stopEvictionCheck: () => void;
  private readonly onError = (error: Error) => {
    this.lastConnectionError = error.message;
  };

  constructor(options: RedisConnectionOptions) {
    if (options.client) {
      if (keyPrefixOf(options.client)) {
        throw new ValidationError('client', 'must have no keyPrefix (use the store prefix option instead)');
      }
      this.client = options.client;
      this.ownsClient = false;
      this.location = describeClient(options.client);
    } else if (options.cluster) {
      if (options.cluster.nodes.length === 0)
        throw new ValidationError('cluster.nodes', 'must name at least one node');
      this.client = new Cluster(options.cluster.nodes, {
        ...STORE_CLUSTER_OPTIONS,
        ...options.cluster.options,
        redisOptions: {
          ...STORE_CLIENT_OPTIONS,
          ...options.redisOptions,
          ...options.cluster.options?.redisOptions,
        },
      });
      this.ownsClient = true;
      this.location = describeClient(this.client);
    } else {
      const url = options.url ?? 'redis://127.0.0.1:6379';
      this.client = new Redis(url, { ...STORE_CLIENT_OPTIONS, ...options.redisOptions });
      this.ownsClient = true;
      this.location = url.replace(/\/\/([^@/]*)@/, '//***@');
    }
    // Connection errors surface on the calls that fail; ioredis keeps reconnecting meanwhile.
    this.client.on('error', this.onError);
    this.readyTimeoutMs = Math.max(0, options.readyTimeoutMs ?? 2000);
    this.stopEvictionCheck = warnIfEvicting(this.client, this.location);
  }

  /** Runs a Redis call, translating connection failures into StoreUnavailableError. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    assertOpen(this.closed, 'Redis', this.location);
    try {
      if (this.client.status !== 'ready') await this.whenReady(what);
      const sent = fn();
      // Settle at once if the connection drops before the reply; the late outcome is ignored.
      sent.catch(() => {});
      return await Promise.race([sent, this.connectionLost()]);
    } catch (error) {
      if (error === CONNECTION_LOST) {
        throw new StoreUnavailableError(
          `Redis store at ${this.location}: ${what} failed: the connection was lost before the reply. The call may or may not have been applied; retrying a completion or failure is safe (fenced and duplicate-checked).`,
          { details: { operation: what, redis: this.location, ambiguous: true } },
        );
      }
      throw translateRedisError(error, what, this.location);
    }
  }

  /** A promise rejected (with {@link CONNECTION_LOST}) when the current connection closes. */
  private connectionLost(): Promise<never> {
    if (!this.lost) {
      const client = this.client;
      const lost = new Promise<never>((_, reject) => {
        const onClose = () => {
          client.off('close', onClose);
          if (this.lost === lost) this.lost = undefined;
          reject(CONNECTION_LOST);
        };
        client.on('close', onClose);
      });
      lost.catch(() => {});
      this.lost = lost;
    }
    return this.lost;
  }

  /**
   * Waits (shared by every caller) until the connection is ready, at most `readyTimeoutMs`. A call
   * made during an outage thus fails without being sent, instead of waiting in ioredis' offline
   * queue for as long as the outage lasts (ioredis counts retries per failed reconnection, and a
   * server or proxy that accepts connections and then drops them never fails one).
   */
  private whenReady(what: string): Promise<void> {
    const client = this.client;
    if (client.status === 'wait') client.connect().catch(() => {});
    this.readyWait ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        this.readyWait = undefined;
      };
      const onReady = () => {
        done();
        resolve();
      };
      const onEnd = () => {
        done();
        reject(
          new StoreUnavailableError(`Redis store at ${this.location}: the connection was closed`, {
            details: { operation: what, redis: this.location, outcome: 'not_sent' },
          }),
        );
      };
      const timer = setTimeout(() => {
        done();
        const cause = this.lastConnectionError ? ` (last error: ${this.lastConnectionError})` : '';
        reject(
          new StoreUnavailableError(
            `Redis store at ${this.location}: ${what} failed: Redis did not answer within ${this.readyTimeoutMs} ms${cause}; the call was not sent`,
            { details: { operation: what, redis: this.location, outcome: 'not_sent' } },
          ),
        );
      }, this.readyTimeoutMs);
      client.on('ready', onReady);
      client.on('end', onEnd);
    });
    return this.readyWait;
  }

  /** Closes the store's own client; takes the store's listeners off an application's client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopEvictionCheck();
    if (!this.ownsClient) {
      this.client.off('error', this.onError);
      return;
    }
    // The store's own client keeps its error listener: errors of the reconnection this close
    // interrupts are expected, not unhandled.
    if (this.client.status !== 'ready') {
      this.dropNow();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /**
   * Closes a client that is not connected without waiting: QUIT would wait in the offline queue,
   * behind any queued command, for a reconnection that may never come (until the command timeout).
   * Queued commands fail with "Connection is closed".
   */
  private dropNow(): void {
    const client = this.client;
    // ioredis ends a client (and fails its offline queue) only when it is connecting or connected:
    // one waiting to reconnect would stay "reconnecting", its queue held until the command timeout.
    // Starting the attempt and disconnecting in the same turn ends it before any socket is opened.
    if (!isCluster(client) && client.status === 'reconnecting') client.connect().catch(() => {});
    client.disconnect();
  }
}
