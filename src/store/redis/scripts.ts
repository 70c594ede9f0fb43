/**
 * The Redis store's Lua scripts: one `.lua` file per state change under `./lua/`, each with a
 * header comment giving its KEYS, ARGV and return shape. Shared helpers live in `./lua/lib/` and
 * are inlined where a script says `--!include lib/<name>.lua` (each once). The files are read once
 * per process and registered on a client with `defineCommand`, so ioredis sends EVALSHA (EVAL the
 * first time on each connection) and the scripts work inside pipelines and MULTI/EXEC.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/** Every script, by command name (the file is `<name>.lua`). */
export const SCRIPT_NAMES = [
  'insert-jobs',
  'claim-jobs',
  'complete-jobs',
  'complete-and-claim-jobs',
  'fail-jobs',
  'extend-leases',
  'advance-start-horizon',
  'release-jobs',
  'find-expired-leases',
  'recover-expired-leases',
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
  'append-audit',
  'scan-dead-letters',
  'list-audit',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** A loaded script: its source with the includes inlined, and how many KEYS it takes. */
export interface LoadedScript {
  name: ScriptName;
  lua: string;
  numberOfKeys: number;
}

/**
 * The directory of the `.lua` files: next to this module when running from the sources, or
 * `src/store/redis/lua` of the package when running from the bundles in `dist/` (`dist/index.js`
 * and `dist/cli/main.js`; the package ships that directory).
 */
function luaDirectory(): string {
  const candidates = [
    new URL('./lua/', import.meta.url),
    new URL('../src/store/redis/lua/', import.meta.url),
    new URL('../../src/store/redis/lua/', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(`${path}claim-jobs.lua`)) return path;
  }
  throw new Error(
    `redrive: the Redis store's Lua scripts were not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`,
  );
}

const INCLUDE = /^--!include\s+(\S+)\s*$/;

/** Reads a script and inlines its includes (each library once, in the order first named). */
function assemble(dir: string, file: string, included: Set<string>): string {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const match = INCLUDE.exec(line);
    if (!match) {
      out.push(line);
      continue;
    }
    const lib = match[1]!;
    if (included.has(lib)) continue;
    included.add(lib);
    out.push(assemble(dir, lib, included));
  }
  return out.join('\n');
}

/** The number of KEYS a script declares in its header (`-- KEYS[n] ...` lines). */
function keysDeclared(lua: string): number {
  let max = 0;
  for (const match of lua.matchAll(/^--\s*KEYS\[(\d+)\]/gm)) max = Math.max(max, Number(match[1]));
  return max;
}

let cache: Map<ScriptName, LoadedScript> | undefined;

/** Every script, read and assembled once per process. */
export function loadScripts(): Map<ScriptName, LoadedScript> {
  if (cache) return cache;
  const dir = luaDirectory();
  const loaded = new Map<ScriptName, LoadedScript>();
  for (const name of SCRIPT_NAMES) {
    const source = readFileSync(`${dir}${name}.lua`, 'utf8');
    const numberOfKeys = keysDeclared(source);
    if (numberOfKeys === 0) throw new Error(`redrive: ${name}.lua declares no KEYS in its header`);
    loaded.set(name, { name, lua: assemble(dir, `${name}.lua`, new Set()), numberOfKeys });
  }
  cache = loaded;
  return loaded;
}

/** The command a script is registered as on a client (`redrive_<name>`, dashes as underscores). */
function commandName(name: ScriptName): string {
  return `redrive_${name.replace(/-/g, '_')}`;
}

type ScriptCall = (...args: (string | number | (string | number)[])[]) => Promise<unknown>;

/** Registers every script on `client` (idempotent per client). */
export function defineScripts(client: Redis): void {
  const marked = client as Redis & { __redriveScripts?: boolean };
  if (marked.__redriveScripts) return;
  for (const script of loadScripts().values()) {
    client.defineCommand(commandName(script.name), { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
  marked.__redriveScripts = true;
}

/**
 * Runs a script on a client (or queues it on a pipeline / MULTI). `keys` must have as many
 * entries as the script declares; `args` may hold nested arrays (flattened one level by ioredis).
 */
export function runScript(
  target: Redis | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number | (string | number)[])[],
): Promise<unknown> | ChainableCommander {
  const fn = (target as unknown as Record<string, ScriptCall>)[commandName(name)];
  if (typeof fn !== 'function') throw new Error(`redrive: script ${name} is not defined on this client`);
  return fn.call(target, ...keys, ...args);
}
