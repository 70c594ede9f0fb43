-- release-stuck-dead-letters.lua: `replaying` entries whose replay started before `before` (the
-- replayer died) go back to `pending`, or to `requires_review` when their budget is spent.
--
-- KEYS[1]  {p}:dl:replaying (replaying entries by replayStartedAt)
-- ARGV[1]  key base;  ARGV[2] now;  ARGV[3] before;  ARGV[4] limit
-- Returns  the ids moved.
--!include lib/common.lua
--!include lib/dead-letters.lua

local MESSAGE = 'the replay was interrupted (the replaying process stopped before finishing)'
local now, before, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local moved = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. int(before), 'LIMIT', 0, limit)) do
  local m = dl_meta(id)
  if m and m.status == 'replaying' then
    local status = 'pending'
    if m.replayCount >= m.maxReplays then status = 'requires_review' end
    dl_update(m, {
      'status', status, 'generation', int(m.generation + 1), 'updatedAt', int(now), 'lastReplayAt', int(now),
      'lastReplayError', MESSAGE,
    })
    moved[#moved + 1] = id
  elseif not m then
    dl_drop_vanished(KEYS[1], id)
  end
end
return moved
