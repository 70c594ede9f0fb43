/**
 * The StreamProcessor's Lua scripts (`./lua/*.lua`, loaded by the shared script loader in
 * src/redis/scripts.ts). Both exist because a check followed by a change must be atomic here; each
 * file's header says why and what it takes.
 */

import type { RedisClient } from '../redis/client-options.js';
import { ScriptFamily } from '../redis/scripts.js';

/** Every script of the processor (the file is `<name>.lua`). */
const STREAM_SCRIPT_NAMES = ['renew-claims', 'delete-idle-consumers'] as const;

/** A script of the processor. */
export type StreamScriptName = (typeof STREAM_SCRIPT_NAMES)[number];

const STREAM_SCRIPTS = new ScriptFamily('redrive_stream', STREAM_SCRIPT_NAMES, [
  new URL('./lua/', import.meta.url),
  new URL('../src/streams/lua/', import.meta.url),
  new URL('../../src/streams/lua/', import.meta.url),
]);

/** Runs a script on a connection (EVALSHA, EVAL when the server does not know it). */
export function runStreamScript(
  redis: RedisClient,
  name: StreamScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  return STREAM_SCRIPTS.run(redis, name, keys, args) as Promise<unknown>;
}
