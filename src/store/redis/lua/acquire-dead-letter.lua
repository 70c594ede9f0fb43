-- acquire-dead-letter.lua: moves a `pending` entry with replay budget left (with force: a
-- `pending` or `requires_review` entry, budget ignored, a fresh budget granted) to `replaying`,
-- spending one replay and bumping the generation; writes the audit entry in the same step.
-- Of two concurrent callers exactly one wins.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] id;  ARGV[3] now;  ARGV[4] expected generation ('' = any);
-- ARGV[5]  force: fresh budget ('' = no force);  ARGV[6] audit JSON ('' = none)
-- Returns  { outcome, entry }: outcome 'ok', 'stale_generation', 'invalid_status', 'at_cap' or
--          'not_found'; entry the HGETALL field list after the call (absent when not found).
--!include lib/common.lua
--!include lib/dead-letters.lua

local id, now = ARGV[2], tonumber(ARGV[3])
local m = dl_meta(id)
if not m then return { 'not_found' } end
local function refuse(reason) return { reason, redis.call('HGETALL', dkey(id)) } end
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= m.generation then return refuse('stale_generation') end
local force = num(ARGV[5], nil)
local allowed = m.status == 'pending' or (force ~= nil and m.status == 'requires_review')
if not allowed then return refuse('invalid_status') end
if force == nil and m.replayCount >= m.maxReplays then return refuse('at_cap') end
local max_replays = m.maxReplays
if force ~= nil then max_replays = m.replayCount + force end
local after = dl_update(m, {
  'status', 'replaying', 'generation', int(m.generation + 1), 'replayCount', int(m.replayCount + 1),
  'maxReplays', int(max_replays), 'replayStartedAt', int(now), 'updatedAt', int(now),
})
audit_change(ARGV[6], id, m, after, now)
return { 'ok', redis.call('HGETALL', dkey(id)) }
