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

import { Redis, type RedisOptions } from 'ioredis';
import { ValidationError } from '../core/errors.js';
import type { RedisArg } from './command-classes.js';

/** A MULTI/EXEC block or a pipeline being built (ioredis `ChainableCommander` fits). */
export interface RedisBatchLike {
  call(command: string, ...args: RedisArg[]): unknown;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
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
  };
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  multi(): RedisBatchLike;
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
  /** ioredis's `connect()` (used when the client was created with `lazyConnect`). */
  connect?(): Promise<unknown>;
  /** ioredis's `once('ready', ...)` (used to wait for the first connection). */
  once?(event: 'ready', listener: () => void): unknown;
}

/** Client options ResilientRedis requires (see the module comment). */
export const RESILIENT_CLIENT_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
} satisfies RedisOptions);

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
  if (opts.autoResendUnfulfilledCommands !== false) {
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
