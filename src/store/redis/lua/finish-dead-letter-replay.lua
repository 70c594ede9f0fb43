-- finish-dead-letter-replay.lua: ends a replay the caller acquired: `replaying` -> the given status,
-- only for the generation the acquire returned; records the outcome and the audit entry.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] id;  ARGV[3] generation;  ARGV[4] now;
-- ARGV[5]  status: resolved | pending | requires_review;  ARGV[6] error ('' = null);
-- ARGV[7]  replay job id ('' = keep);  ARGV[8] resolved by ('' = null);  ARGV[9] note ('' = null);
-- ARGV[10] audit JSON ('' = none);  ARGV[11..] 'error', 'resolvedBy', 'note' for each of ARGV[6], [8], [9]
--          that is a real empty string rather than null
-- Returns  { outcome, entry }: outcome 'ok', 'stale_generation', 'invalid_status' or 'not_found'.
--!include lib/common.lua
--!include lib/dead-letters.lua

local id, now, status = ARGV[2], tonumber(ARGV[4]), ARGV[5]
local empty = {}
for i = 11, #ARGV do empty[ARGV[i]] = true end
local function arg(i, name)
  if ARGV[i] == '' and not empty[name] then return false end
  return ARGV[i]
end
local m = dl_meta(id)
if not m then return { 'not_found' } end
local function refuse(reason) return { reason, redis.call('HGETALL', dkey(id)) } end
if tonumber(ARGV[3]) ~= m.generation then return refuse('stale_generation') end
if m.status ~= 'replaying' then return refuse('invalid_status') end
local changes = {
  'status', status, 'generation', int(m.generation + 1), 'lastReplayAt', int(now), 'updatedAt', int(now),
  'lastReplayError', arg(6, 'error'),
}
if ARGV[7] ~= '' then changes[#changes + 1] = 'replayJobId'; changes[#changes + 1] = ARGV[7] end
if status == 'resolved' then
  changes[#changes + 1] = 'resolvedAt'; changes[#changes + 1] = int(now)
  changes[#changes + 1] = 'resolvedBy'; changes[#changes + 1] = arg(8, 'resolvedBy')
  changes[#changes + 1] = 'resolutionNote'; changes[#changes + 1] = arg(9, 'note')
end
local after = dl_update(m, changes)
audit_change(ARGV[10], id, m, after, now)
return { 'ok', redis.call('HGETALL', dkey(id)) }
