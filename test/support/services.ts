/**
 * External services for integration tests: Redis and PostgreSQL.
 *
 * A suite that needs Redis awaits {@link redisService} at the top of its file and wraps its cases
 * in `describe.skipIf(!redis.available)`. When Redis does not answer:
 * - locally, the suite is skipped with a loud warning on stderr (naming the URL and the reason);
 * - under `CI=true`, `redisService()` throws, so the test file fails: CI must never pass by skipping.
 *
 * The URL is `REDIS_URL`, default `redis://127.0.0.1:6379`. The check is a raw RESP `PING` over
 * `node:net` (no client library), cached per process.
 */

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/** Default Redis URL for tests. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether a service answered. */
export type ServiceStatus =
  | { available: true; url: string; host: string; port: number }
  | { available: false; url: string; host: string; port: number; reason: string };

/** The Redis URL tests use (`REDIS_URL` or the default). */
export function redisUrl(): string {
  return process.env.REDIS_URL || DEFAULT_REDIS_URL;
}

/** `true` when running under CI (`CI=true` or `CI=1`). */
export function underCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port: parsed.port ? Number(parsed.port) : 6379 };
}

/**
 * Sends `PING` over a raw TCP connection. Any RESP reply counts as reachable (`-NOAUTH` too: the
 * server is there, authentication is the client's business).
 */
export function pingRedis(url: string, timeoutMs = 1000): Promise<ServiceStatus> {
  const { host, port } = hostPort(url);
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: ServiceStatus) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const down = (reason: string) => finish({ available: false, url, host, port, reason });
    const socket = connect({ host, port });
    const timer = setTimeout(() => down(`no reply to PING within ${timeoutMs} ms`), timeoutMs);
    let reply = '';
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        if (reply.startsWith('+') || reply.startsWith('-')) finish({ available: true, url, host, port });
        else down(`unexpected reply to PING: ${JSON.stringify(reply.slice(0, 40))}`);
      }
    });
    socket.once('error', (error) => down(error.message));
    socket.once('close', () => down('connection closed before a reply'));
  });
}

let cached: Promise<ServiceStatus> | undefined;

/**
 * Checks Redis once per process.
 *
 * @throws Error under CI when Redis is unreachable (the suite must fail, not skip)
 */
export async function redisService(): Promise<ServiceStatus> {
  cached ??= pingRedis(redisUrl());
  const status = await cached;
  if (!status.available) {
    const message =
      `Redis at ${status.url} is unreachable (${status.reason}). Start redis-server or set REDIS_URL; ` +
      'the suites that need Redis';
    if (underCi()) throw new Error(`${message} fail under CI=true.`);
    warnOnce(`\n${'!'.repeat(100)}\n!! SKIPPED: ${message} are skipped.\n${'!'.repeat(100)}\n`);
  }
  return status;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(message);
}

/**
 * A key prefix no other test (or concurrent run) uses: `test:{label}:{pid}:{random}:`. Put every key
 * a test touches under one, and delete them with {@link deleteKeysWithPrefix}.
 */
export function uniqueKeyPrefix(label: string): string {
  return `test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** The subset of a Redis client that {@link deleteKeysWithPrefix} needs (ioredis fits). */
export interface ScanningClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * Deletes every key starting with `prefix` (SCAN MATCH; test clean-up only — never in library code).
 * Glob metacharacters in the prefix are escaped.
 *
 * @returns the number of keys deleted
 */
export async function deleteKeysWithPrefix(client: ScanningClient, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = (await client.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
      string,
      string[],
    ];
    cursor = next;
    if (keys.length > 0) deleted += (await client.call('DEL', ...keys)) as number;
  } while (cursor !== '0');
  return deleted;
}

/** Default PostgreSQL URL for tests. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL URL tests use (`POSTGRES_URL` or the default). */
export function postgresUrl(): string {
  return process.env.POSTGRES_URL || DEFAULT_POSTGRES_URL;
}

/** Connects and runs `SELECT 1`; any failure (refused, auth, missing database) counts as unavailable. */
export async function pingPostgres(url: string, timeoutMs = 2000): Promise<ServiceStatus> {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 5432;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true, url, host, port };
  } catch (error) {
    return { available: false, url, host, port, reason: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

let cachedPostgres: Promise<ServiceStatus> | undefined;

/**
 * Checks PostgreSQL once per process.
 *
 * @throws Error under CI when PostgreSQL is unreachable (the suite must fail, not skip)
 */
export async function postgresService(): Promise<ServiceStatus> {
  cachedPostgres ??= pingPostgres(postgresUrl());
  const status = await cachedPostgres;
  if (!status.available) {
    const message =
      `PostgreSQL at ${status.url} is unreachable (${status.reason}). Start PostgreSQL or set POSTGRES_URL; ` +
      'the suites that need PostgreSQL';
    if (underCi()) throw new Error(`${message} fail under CI=true.`);
    warnOnce(`\n${'!'.repeat(100)}\n!! SKIPPED: ${message} are skipped.\n${'!'.repeat(100)}\n`);
  }
  return status;
}

/** A schema name no other test (or concurrent run) uses: `test_{label}_{pid}_{random}`. */
export function uniqueSchemaName(label: string): string {
  return `test_${label.replace(/[^a-z0-9_]/gi, '_')}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
