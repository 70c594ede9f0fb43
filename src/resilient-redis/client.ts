/**
 * The part of an ioredis client that ResilientRedis uses, and the client options it needs.
 *
 * ioredis has two behaviours that would break the write buffer's guarantees, so ResilientRedis
 * refuses a client that has them on:
 * - `enableOfflineQueue` (default on): commands issued while disconnected wait in an unbounded
 *   queue inside ioredis and are sent after the reconnect, outside the bounded, ordered buffer.
 *   Off, such a command fails at once with "Stream isn't writeable", which is known to be unsent.
 * - `autoResendUnfulfilledCommands` (default on): commands that were sent but unanswered when the
 *   connection dropped are sent again after the reconnect — a silent resend of a command whose
 *   first send may have landed (an INCR applied twice).
 * `maxRetriesPerRequest: 0` is recommended (and set by {@link createResilientRedisClient}): ioredis
 * then rejects unanswered commands as soon as the connection closes, instead of after N reconnect
 * attempts (with `autoResendUnfulfilledCommands` off and a non-zero value, ioredis can drop them
 * without ever settling their promises; the per-command timeout of ResilientRedis still settles
 * them, but later).
 */

import type { ClusterOptions, RedisOptions } from 'ioredis';
import { ValidationError } from '../core/errors.js';
import { STRICT_CLIENT_OPTIONS } from '../redis/client-options.js';
import { Cluster, Redis } from '../redis/ioredis.js';
import type { RedisArg } from './command-classes.js';

/** A MULTI/EXEC block or a pipeline being built (ioredis `ChainableCommander` fits). */
export interface RedisBatchLike {
  call(command: string, ...args: RedisArg[]): unknown;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/** The part of a client's socket that a reset needs (a `net.Socket` fits). */
export interface ResettableSocket {
  readonly destroyed?: boolean;
  /** Node's `socket.resetAndDestroy()`: closes with a TCP RST. */
  resetAndDestroy?(): unknown;
  destroy(): unknown;
}

/** The subset of an ioredis `Redis` client that ResilientRedis needs. */
export interface RedisLike {
  /** ioredis connection status (`wait`, `connecting`, `connect`, `ready`, `reconnecting`, `close`, `end` ...). */
  readonly status: string;
  readonly options: {
    enableOfflineQueue?: boolean | undefined;
    autoResendUnfulfilledCommands?: boolean | undefined;
    maxRetriesPerRequest?: number | null | undefined;
    db?: number | undefined;
    /** On an ioredis `Cluster`: the options of every node connection. */
    redisOptions?: { autoResendUnfulfilledCommands?: boolean | undefined } | undefined;
  };
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  multi(): RedisBatchLike;
  disconnect(reconnect?: boolean): void;
  /** ioredis's current socket (used to reset a stuck connection; see {@link resetConnection}). */
  readonly stream?: ResettableSocket | undefined;
  quit(): Promise<unknown>;
  /** ioredis's `connect()` (used when the client was created with `lazyConnect`). */
  connect?(): Promise<unknown>;
  /** ioredis's `once('ready', ...)` (used to wait for the first connection). */
  once?(event: 'ready', listener: () => void): unknown;
}

/** Client options ResilientRedis requires (see the module comment). */
export const RESILIENT_CLIENT_OPTIONS = STRICT_CLIENT_OPTIONS;

/**
 * Throws when `client` would queue or resend commands behind ResilientRedis's back.
 *
 * @throws ValidationError naming `client.options.<field>`
 */
export function assertResilientClient(client: RedisLike): void {
  if (!client || typeof client.call !== 'function' || typeof client.multi !== 'function') {
    throw new ValidationError('client', 'must be an ioredis client (or implement RedisLike)');
  }
  const opts = client.options ?? {};
  if (opts.enableOfflineQueue !== false) {
    throw new ValidationError(
      'client.options.enableOfflineQueue',
      'must be false: ioredis would queue commands while disconnected and send them after the reconnect, ' +
        'outside the bounded, ordered write buffer (createResilientRedisClient sets it)',
    );
  }
  // On a Cluster the offline queue is the cluster's, and resending is each node connection's.
  const resend = opts.redisOptions
    ? opts.redisOptions.autoResendUnfulfilledCommands
    : opts.autoResendUnfulfilledCommands;
  if (resend !== false) {
    throw new ValidationError(
      'client.options.autoResendUnfulfilledCommands',
      'must be false: ioredis would silently resend commands whose first send may have landed ' +
        '(createResilientRedisClient sets it)',
    );
  }
}

/**
 * Creates an ioredis client with the options ResilientRedis requires (they override `options`).
 *
 * @param target a `redis://` URL, or ioredis options
 * @param options further ioredis options (db, retryStrategy, connectTimeout ...)
 */
export function createResilientRedisClient(
  target?: string | RedisOptions,
  options: RedisOptions = {},
): Redis {
  if (typeof target === 'string') return new Redis(target, { ...options, ...RESILIENT_CLIENT_OPTIONS });
  return new Redis({ ...target, ...options, ...RESILIENT_CLIENT_OPTIONS });
}

/**
 * Creates an ioredis `Cluster` with the options ResilientRedis requires: no offline queue at the
 * cluster level, and every node connection as {@link createResilientRedisClient} makes it. Keys a
 * MULTI/EXEC touches together must share a hash tag.
 *
 * @param nodes startup nodes (one reachable node is enough)
 * @param options further ioredis cluster options
 */
export function createResilientRedisCluster(
  nodes: { host: string; port: number }[],
  options: ClusterOptions = {},
): Cluster {
  return new Cluster(nodes, {
    ...options,
    enableOfflineQueue: false,
    redisOptions: { ...options.redisOptions, ...RESILIENT_CLIENT_OPTIONS },
  });
}

/** How {@link resetConnection} closed the connection. */
export type ConnectionReset = 'reset' | 'destroyed' | 'disconnected';

/**
 * Drops a stuck connection so that ioredis reconnects, with a TCP reset where possible.
 *
 * Why not `disconnect()`: it closes gracefully (`end()`, then a destroy), and a graceful close
 * leaves the bytes the peer has not acknowledged in the kernel, which keeps retransmitting them
 * (then the FIN). After a partition heals they can reach Redis late — after the writes sent on the
 * next connection, such as the buffer's flush — and an old SET reported as ambiguous overwrites a
 * newer one. A reset (`SO_LINGER` 0, RST) makes the kernel discard them: what was sent on the
 * stuck connection and not yet received can never be applied.
 *
 * Over TLS Node cannot reset the socket (`resetAndDestroy` needs a TCP handle): it is destroyed,
 * which the kernel still closes gracefully (`'destroyed'`). Without a socket (a client that does
 * not expose one), `disconnect(true)` is all there is (`'disconnected'`).
 */
export function resetConnection(client: Pick<RedisLike, 'stream' | 'disconnect'>): ConnectionReset {
  const socket = client.stream;
  if (socket && !socket.destroyed) {
    if (typeof socket.resetAndDestroy === 'function') {
      try {
        socket.resetAndDestroy();
        return 'reset';
      } catch {
        // not a TCP handle (TLS): destroy instead
      }
    }
    socket.destroy();
    return 'destroyed';
  }
  client.disconnect(true);
  return 'disconnected';
}
