/**
 * `redrive migrate`: applies the store's pending schema migrations and says what it did. The
 * PostgreSQL store has versioned migration files (applied under an advisory lock, so running this
 * while workers start is safe); a Redis store raises its format version (the `{p}:format` key) to
 * the URL's `format=` only (a raise is for after every process runs this release, unlike a
 * PostgreSQL migration: without it the version is only reported), and one with a slot per queue
 * (`?slots=queue`) first moves the jobs a single-slot store left on its prefix into queue slots
 * (stop that prefix's workers first); the SQLite store sets itself up on open, so this only opens
 * it.
 */
import type { Command } from 'commander';
import { LATEST_FORMAT_VERSION } from '../../store/redis/keys.js';
import type { Store } from '../../store/store.js';
import { STORE_HELP } from '../common.js';
import { printJson } from '../format.js';
import { openStore, parseStoreUrl, resolveStoreUrl } from '../store-url.js';

/** What `redrive migrate --json` prints. */
export interface MigrateReport {
  store: string;
  from: number | null;
  to: number | null;
  applied: string[];
}

/** Applies the pending migrations of the store at `url`. */
export async function migrateStore(url: string): Promise<MigrateReport> {
  const location = parseStoreUrl(url);
  const store = openStore(location);
  try {
    if (hasMigrations(store)) return { store: location.url, ...(await store.migrate()) };
    await store.listQueues();
    return { store: location.url, from: null, to: null, applied: [] };
  } finally {
    await store.close();
  }
}

/** Whether the store has versioned migrations to apply (the PostgreSQL store). */
function hasMigrations(
  store: Store,
): store is Store & { migrate(): Promise<{ from: number; to: number; applied: string[] }> } {
  return typeof (store as { migrate?: unknown }).migrate === 'function';
}

/**
 * After a Redis store's version that was not raised: how to raise it (a raise is the operator's
 * step, after the rollout); nothing for other stores or one at the newest version.
 */
function formatHint(url: string, version: number | null): string {
  if (parseStoreUrl(url).kind !== 'redis') return ', up to date';
  if (version === null || version >= LATEST_FORMAT_VERSION) return ', up to date';
  return ` (this release writes up to ${LATEST_FORMAT_VERSION}: once every process that uses the store runs it, add format=${LATEST_FORMAT_VERSION} to the URL to raise it; there is no way back)`;
}

/** Registers `migrate` on the program. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      "apply the store's pending schema migrations (PostgreSQL; Redis: raise the format version to the URL's format=N, once every process runs this release, and with ?slots=queue move a single-slot store's jobs into queue slots)",
    )
    .option('--json', 'print JSON')
    .option('--store <url>', STORE_HELP)
    .addHelpText(
      'after',
      `
Examples:
  redrive migrate --store postgres://app@db.internal/app
  redrive migrate --store 'postgresql://app@db.internal/app?schema=jobs' --json
  redrive migrate --store 'redis://cache.internal:6379?prefix=app&format=5'
  redrive migrate --store 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000?prefix=app&slots=queue'`,
    )
    .action(async (options: { json?: boolean; store?: string }) => {
      const url = resolveStoreUrl(options.store);
      const report = await migrateStore(url);
      if (options.json) {
        printJson(report);
        return;
      }
      // A Redis store's versions are its format's (keys.ts FORMAT_VERSIONS), not a schema's.
      const version = parseStoreUrl(url).kind === 'redis' ? 'format version' : 'schema version';
      if (report.from === null) {
        process.stdout.write(`${report.store}: nothing to migrate (this store sets itself up on open)\n`);
      } else if (report.applied.length === 0) {
        process.stdout.write(`${report.store}: ${version} ${report.to}${formatHint(url, report.to)}\n`);
      } else if (report.from === report.to) {
        process.stdout.write(`${report.store}: ${report.applied.join(', ')}; ${version} ${report.to}\n`);
      } else {
        process.stdout.write(
          `${report.store}: migrated from ${version} ${report.from} to ${report.to} (${report.applied.join(', ')})\n`,
        );
      }
    });
}
