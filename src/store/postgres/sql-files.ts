/**
 * The PostgreSQL store's SQL: migrations in `./migrations/NNNN_name.sql`, statements in
 * `./sql/<file>.sql` as named sections (`-- name: claimJobs`). Every file names the store's schema
 * as `:SCHEMA` (replaced by the quoted identifier) and the notification channel as `:CHANNEL`
 * (replaced by a string literal). The files are read once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the SQL files: next to this module when running from the sources, or
 * `src/store/postgres` of the package when running from the bundles in `dist/` (the package ships it).
 */
function sqlDirectory(): string {
  const candidates = [
    new URL('./', import.meta.url),
    new URL('../src/store/postgres/', import.meta.url),
    new URL('../../src/store/postgres/', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(`${path}sql/jobs.sql`)) return path;
  }
  throw new Error(
    `redrive: the PostgreSQL store's SQL files were not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`,
  );
}

let directory: string | undefined;
const dir = (): string => {
  directory ??= sqlDirectory();
  return directory;
};

/** A migration file: its version (the number it starts with), name and SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

let migrations: Migration[] | undefined;

/** Every migration, in version order. */
export function loadMigrations(): Migration[] {
  if (!migrations) {
    const path = `${dir()}migrations/`;
    migrations = readdirSync(path)
      .filter((f) => /^\d{4}_[a-z0-9_-]+\.sql$/.test(f))
      .sort()
      .map((file) => ({
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        sql: readFileSync(`${path}${file}`, 'utf8'),
      }));
  }
  return migrations;
}

const sections = new Map<string, Map<string, string>>();

/** The named statements of `sql/<file>.sql`. */
export function loadStatements(file: string): Map<string, string> {
  let named = sections.get(file);
  if (!named) {
    named = new Map();
    const text = readFileSync(`${dir()}sql/${file}.sql`, 'utf8');
    let name: string | undefined;
    let body: string[] = [];
    const flush = () => {
      if (name) named!.set(name, body.join('\n').trim());
    };
    for (const line of text.split('\n')) {
      const match = /^--\s*name:\s*(\w+)\s*$/.exec(line);
      if (match) {
        flush();
        name = match[1];
        body = [];
      } else if (name && !/^\s*--/.test(line)) {
        body.push(line);
      }
    }
    flush();
    sections.set(file, named);
  }
  return named;
}

/** Quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Replaces `:SCHEMA` and `:CHANNEL` in a SQL text. */
export function bindSchema(sql: string, schema: string): string {
  return sql
    .replace(/:SCHEMA\b/g, quoteIdent(schema))
    .replace(/:CHANNEL\b/g, `'${notifyChannel(schema).replace(/'/g, "''")}'`);
}

/** The LISTEN/NOTIFY channel of a schema's stores. */
export function notifyChannel(schema: string): string {
  return fitIdentifier(`redrive:${schema}`);
}

/** PostgreSQL keeps the first 63 bytes of an identifier: channel and prepared statement names too. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * `name`, or, when PostgreSQL would refuse or cut it (names carry the schema, which may itself be
 * 63 characters), its first bytes and a hash of the whole: two statements cut to the same 63 bytes
 * would share one prepared statement on a connection, and NOTIFY refuses a longer channel.
 */
export function fitIdentifier(name: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.slice(0, MAX_IDENTIFIER_BYTES - hash.length - 1)}_${hash}`;
}
