/**
 * What the commands share: the `--store` and `--json` options, opening the store (and a
 * dead-letter queue on it), option parsers, the acting operator's name, and loading a user module.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { parseTimeText } from '../core/time-text.js';
import { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { ReplayRegistry } from '../dlq/replay-registry.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';
import {
  missingStoreError,
  openStore,
  parseStoreUrl,
  resolveStoreUrl,
  STORE_URL_FORMS,
  type StoreLocation,
  storeExists,
} from './store-url.js';

/** Options every command has. */
export interface CommonOptions {
  json?: boolean;
  store?: string;
}

export const STORE_HELP = `store URL: ${STORE_URL_FORMS} (default: $REDRIVE_STORE, else sqlite:./data/redrive.db)`;

/** Adds `--json` and `--store <url>` to a command. */
export function withCommonOptions(command: Command): Command {
  return command.option('--json', 'print JSON').option('--store <url>', STORE_HELP);
}

/**
 * Opens the store, runs `fn`, closes the store. With `mustExist`, a SQLite file that does not
 * exist is an error instead of being created (reading commands never create a database).
 */
export async function withStore<T>(
  options: CommonOptions,
  fn: (store: Store, location: StoreLocation) => Promise<T>,
  { mustExist = true }: { mustExist?: boolean } = {},
): Promise<T> {
  const location = parseStoreUrl(resolveStoreUrl(options.store));
  if (mustExist && !storeExists(location)) throw missingStoreError(location);
  const store = openStore(location);
  try {
    return await fn(store, location);
  } finally {
    await store.close();
  }
}

/** A dead-letter queue on `store` for operator commands (no fallback file: the CLI reads and acts). */
export function cliDeadLetterQueue(store: Store, registry?: ReplayRegistry): DeadLetterQueue {
  return new DeadLetterQueue({
    store,
    fallbackPath: false,
    replayHandlers: registry ?? new ReplayRegistry(),
  });
}

/** The acting operator, for the audit trail: `--actor`, else `cli:<user>`. */
export function actorName(option: string | undefined): string {
  if (option !== undefined && option.trim() !== '') return option.trim();
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Commander parser: a positive integer, at most `max`. */
export function positiveInt(max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}.`);
    }
    return Number(value);
  };
}

/** Commander parser: a non-negative integer. */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a whole number (0 or more).');
  }
  return Number(value);
}

/** Commander parser: a non-negative number (days may be fractional). */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Commander parser: a duration like `90s`, `15m`, `7d`, `500ms` (a bare number is seconds). */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration like 90s, 15m, 12h or 7d.');
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? 's']!);
}

/** Commander parser: a time — ms since the epoch, an ISO date, or an age like `2h` (that long ago). */
export function timeArg(value: string): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(value)) return Date.now() - duration(value);
  // A short number is more likely a year or a typo than a time in January 1970.
  const t = /^\d{1,9}$/.test(value) ? null : parseTimeText(value);
  if (t === null)
    throw new InvalidArgumentError(
      'expected an ISO 8601 date (2026-03-07, 2026-03-07T10:00:00Z), ms since the epoch, or an age like 2h.',
    );
  return t;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Imports a user module by path (relative to the working directory). */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(process.cwd(), path)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(resolve(process.cwd(), path))) {
      throw new CliError(`cannot find module ${path}`);
    }
    throw new CliError(`cannot load ${path}: ${e.message.split('\n')[0]}`);
  }
}

/**
 * Loads replay handlers from a module exporting a `ReplayRegistry` (`default`, `registry` or
 * `replayHandlers`), or a function that registers handlers on the registry it is given.
 */
export async function loadReplayHandlers(path: string | undefined): Promise<ReplayRegistry | undefined> {
  if (path === undefined) return undefined;
  const mod = await importUserModule(path);
  for (const key of ['replayHandlers', 'registry', 'default']) {
    const value = mod[key];
    if (value instanceof ReplayRegistry) return value;
    if (
      value &&
      typeof (value as ReplayRegistry).resolve === 'function' &&
      typeof (value as ReplayRegistry).forDomain === 'function'
    ) {
      return value as ReplayRegistry;
    }
    if (typeof value === 'function') {
      const registry = new ReplayRegistry();
      await (value as (r: ReplayRegistry) => unknown)(registry);
      return registry;
    }
  }
  throw new CliError(
    `${path} exports no replay handlers (export a ReplayRegistry as default, or a function (registry) => void)`,
  );
}

/**
 * Resolves when the process is told to stop: with the signal's name on SIGINT or SIGTERM, or with
 * `'duration'` once `durationMs` (when given) has passed.
 */
export function untilStopped(durationMs: number | undefined): Promise<string> {
  return new Promise<string>((resolve) => {
    const timer = durationMs === undefined ? undefined : setTimeout(() => resolve('duration'), durationMs);
    const onSignal = (signal: NodeJS.Signals) => {
      if (timer) clearTimeout(timer);
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
