/**
 * PostgreSQL store URLs: `postgres://[user[:password]@]host[:port]/database[?schema=<name>]` (or
 * `postgresql://`). `schema` is the store's option; every other parameter (sslmode, ...) goes to
 * `pg` as part of the connection string.
 */
import { ValidationError } from '../../core/errors.js';
import { redactUrlPassword } from '../url-credentials.js';
import type { PostgresStoreOptions } from './postgres-store.js';

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'redrive';

/** Whether a URL names a PostgreSQL store. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url.trim());
}

/** Schema names the store accepts: plain identifiers, so they need no quoting anywhere. */
export function assertSchemaName(schema: unknown, field = 'schema'): string {
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ValidationError(
      field,
      `must be a plain identifier (letters, digits and _, at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

/**
 * The {@link PostgresStoreOptions} a URL names.
 *
 * @throws ValidationError naming `url` when it is not a PostgreSQL URL or its schema is invalid
 */
export function postgresStoreOptionsFromUrl(url: string): PostgresStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ValidationError(
      'url',
      `'${redactPostgresUrl(url)}' is not a URL (expected postgres://host/database)`,
    );
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new ValidationError(
      'url',
      `'${redactPostgresUrl(url)}' is not a PostgreSQL URL (expected postgres://host/database)`,
    );
  }
  const schema = assertSchemaName(parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA, 'url');
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

/** The URL without its password, for messages. */
export const redactPostgresUrl = redactUrlPassword;
