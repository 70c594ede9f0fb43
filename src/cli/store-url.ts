/**
 * Store URLs: where the CLI finds its jobs. `--store` wins, then `REDRIVE_STORE`, then the default
 * `sqlite:./data/redrive.db`.
 *
 *   sqlite:./data/redrive.db     a file relative to the working directory
 *   sqlite:/var/lib/app/jobs.db  an absolute path (also sqlite:///var/lib/app/jobs.db)
 *   redis://host:6379/0?prefix=app  the Redis store (rediss:// for TLS; see store/redis/redis-url.ts)
 *   redis+cluster://host:7000,host:7001?prefix=app  the Redis store on a Redis Cluster
 *   postgres://user@host:5432/db?schema=redrive  the PostgreSQL store (also postgresql://)
 */
import { existsSync } from 'node:fs';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import {
  isPostgresUrl,
  postgresStoreOptionsFromUrl,
  redactPostgresUrl,
} from '../store/postgres/postgres-url.js';
import { openRedisStore } from '../store/redis/open-redis-store.js';
import { isRedisUrl, redactRedisUrl, redisStoreOptionsFromUrl } from '../store/redis/redis-url.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';

/** The store used when neither `--store` nor `REDRIVE_STORE` is given. */
export const DEFAULT_STORE_URL = 'sqlite:./data/redrive.db';

/** A parsed store URL. */
export interface StoreLocation {
  kind: 'sqlite' | 'redis' | 'postgres';
  /** The database file (for Redis and PostgreSQL: the URL without its password). */
  path: string;
  /** The URL as given (without its password), for messages. */
  url: string;
  /** Redis: the URL with its credentials, to connect. */
  redisUrl?: string;
  /** PostgreSQL: the URL with its credentials, to connect. */
  postgresUrl?: string;
}

/** The store URL to use: the option, else `REDRIVE_STORE`, else {@link DEFAULT_STORE_URL}. */
export function resolveStoreUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined) return option;
  const fromEnv = env.REDRIVE_STORE;
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : DEFAULT_STORE_URL;
}

/** The store URLs the CLI takes, as help and errors name them. */
export const STORE_URL_FORMS =
  'sqlite:<path>, redis://host:port/db, redis+cluster://host:port,host:port or postgres://host/database';

/**
 * The error of every command that reads a store which does not exist (one message, one exit
 * code: 1): reading commands never create a database.
 */
export function missingStoreError(location: StoreLocation): CliError {
  return new CliError(
    `no database at ${location.path} (${location.url}); nothing has been enqueued there yet`,
  );
}

/** Parses a store URL; throws a {@link CliError} that says what is accepted. */
export function parseStoreUrl(url: string): StoreLocation {
  const text = url.trim();
  if (text === '') throw new CliError(`the store URL is empty (expected ${DEFAULT_STORE_URL})`);
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  if (!match) {
    throw new CliError(
      `'${text}' is not a store URL (expected ${STORE_URL_FORMS}; for example ${DEFAULT_STORE_URL})`,
    );
  }
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (isRedisUrl(text)) {
    try {
      redisStoreOptionsFromUrl(text);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return { kind: 'redis', path: redactRedisUrl(text), url: redactRedisUrl(text), redisUrl: text };
  }
  if (isPostgresUrl(text)) {
    try {
      postgresStoreOptionsFromUrl(text);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return {
      kind: 'postgres',
      path: redactPostgresUrl(text),
      url: redactPostgresUrl(text),
      postgresUrl: text,
    };
  }
  if (scheme === 'sqlite') {
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '')
      throw new CliError(`'${text}' names no database file (for example ${DEFAULT_STORE_URL})`);
    return { kind: 'sqlite', path, url: text };
  }
  throw new CliError(`unsupported store URL scheme '${scheme}:' (expected ${STORE_URL_FORMS})`);
}

/** Whether the store holds anything yet (a SQLite file that does not exist holds nothing). */
export function storeExists(location: StoreLocation): boolean {
  if (location.kind !== 'sqlite') return true;
  return location.path === ':memory:' || existsSync(location.path);
}

/** Opens the store a location names. */
export function openStore(location: StoreLocation): Store {
  if (location.kind === 'redis')
    return openRedisStore(redisStoreOptionsFromUrl(location.redisUrl ?? location.url));
  if (location.kind === 'postgres')
    return new PostgresStore(postgresStoreOptionsFromUrl(location.postgresUrl ?? location.url));
  return new SqliteStore({ path: location.path });
}
