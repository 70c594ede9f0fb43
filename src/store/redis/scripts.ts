/**
 * The Redis store's Lua scripts: one `.lua` file per state change under `./lua/`, each with a
 * header comment giving its KEYS, ARGV and return shape; shared helpers live in `./lua/lib/`. They
 * are loaded and registered by the shared script loader (src/redis/scripts.ts).
 */
import type { ChainableCommander } from 'ioredis';
import { ScriptFamily, type ScriptHost } from '../../redis/scripts.js';

/** Every script, by command name (the file is `<name>.lua`). */
export const SCRIPT_NAMES = [
  'insert-jobs',
  'claim-jobs',
  'complete-jobs',
  'complete-and-claim-jobs',
  'fail-jobs',
  'extend-leases',
  'update-job-progress',
  'advance-start-horizon',
  'release-jobs',
  'release-lost-claims',
  'find-expired-leases',
  'recover-expired-leases',
  'next-lease-expiry',
  'remove-jobs',
  'list-jobs',
  'set-queue-paused',
  'insert-dead-letters',
  'acquire-dead-letter',
  'finish-dead-letter-replay',
  'resolve-dead-letters',
  'expire-dead-letters',
  'archive-dead-letters',
  'release-stuck-dead-letters',
  'purge-dead-letters',
  'regroup-dead-letters',
  'count-dead-letters',
  'append-audit',
  'scan-dead-letters',
  'prepare-dead-letter-index',
  'index-dead-letters',
  'plan-dead-letter-search',
  'list-audit',
  'acquire-leadership',
  'renew-leadership',
  'resign-leadership',
  'purge-audit',
  'register-queue',
  'move-dead-letters',
  'raise-format',
  'read-payloads',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

/**
 * The store's scripts: next to this module when running from the sources, or
 * `src/store/redis/lua` of the package when running from the bundles in `dist/` (`dist/index.js`
 * and `dist/cli/main.js`).
 */
const STORE_SCRIPTS = new ScriptFamily('redrive', SCRIPT_NAMES, [
  new URL('./lua/', import.meta.url),
  new URL('../src/store/redis/lua/', import.meta.url),
  new URL('../../src/store/redis/lua/', import.meta.url),
]);

/** Registers every script on `client` (idempotent per client). */
export function defineScripts(client: ScriptHost): void {
  STORE_SCRIPTS.define(client);
}

/**
 * Runs a script on a client (or queues it on a pipeline / MULTI). `keys` must have as many
 * entries as the script declares; `args` may hold nested arrays (flattened one level by ioredis).
 */
export function runScript(
  target: ScriptHost | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number | (string | number)[])[],
): Promise<unknown> | ChainableCommander {
  return STORE_SCRIPTS.run(target, name, keys, args);
}
