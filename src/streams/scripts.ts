/**
 * The two Lua scripts of the StreamProcessor, and how they are run (EVALSHA, falling back to EVAL
 * after a script-cache flush or a server restart).
 *
 * Both exist because a check followed by a change must be atomic here: between an XPENDING and an
 * XCLAIM another consumer may have reclaimed the message, and between an XINFO CONSUMERS and an
 * XGROUP DELCONSUMER a consumer may have read new messages (DELCONSUMER would silently drop them
 * from the pending list: delivered, never acked, never redelivered).
 */

import { createHash } from 'node:crypto';

/**
 * renew-claims
 * KEYS[1] stream; ARGV[1] group; ARGV[2] consumer; ARGV[3..] message ids.
 * For each id still pending *for this consumer*, resets its idle time (XCLAIM ... 0 ... JUSTID:
 * no delivery-count increment). Ids pending for another consumer (it reclaimed them) or no longer
 * pending are returned: this consumer has lost them.
 * Returns { renewedCount, lostIds }.
 */
export const RENEW_CLAIMS_LUA = `
local stream, group, me = KEYS[1], ARGV[1], ARGV[2]
local lost = {}
local renewed = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XPENDING', stream, group, id, id, 1)
  if #entry == 1 and entry[1][2] == me then
    redis.call('XCLAIM', stream, group, me, 0, id, 'JUSTID')
    renewed = renewed + 1
  else
    lost[#lost + 1] = id
  end
end
return { renewed, lost }
`;

/**
 * delete-idle-consumers
 * KEYS[1] stream; ARGV[1] group; ARGV[2] minimum idle ms; ARGV[3] a consumer to keep (this one);
 * ARGV[4] '1' to consider only ARGV[3] itself (used on stop) with any idle time.
 * Deletes consumers with no pending messages idle at least ARGV[2] ms. Returns their names.
 */
export const DELETE_IDLE_CONSUMERS_LUA = `
local stream, group, minIdle, me, onlyMe = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local removed = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
  local name, pending, idle
  for i = 1, #c, 2 do
    local k = c[i]
    if k == 'name' then name = c[i + 1]
    elseif k == 'pending' then pending = c[i + 1]
    elseif k == 'idle' then idle = c[i + 1] end
  end
  local candidate
  if onlyMe then candidate = (name == me) else candidate = (name ~= me and idle >= minIdle) end
  if candidate and pending == 0 then
    redis.call('XGROUP', 'DELCONSUMER', stream, group, name)
    removed[#removed + 1] = name
  end
end
return removed
`;

/** The part of an ioredis client that runs scripts. */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

const shas = new Map<string, string>();

function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** Runs `script` by its SHA1, loading it with EVAL when the server does not know it. */
export async function runScript(
  client: ScriptClient,
  script: string,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(sha1(script), keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script, keys.length, ...keys, ...args);
  }
}
