-- expire-dead-letters.lua: moves up to `limit` open entries (pending, requires_review) whose
-- expiresAt <= now to `expired` (optionally only among the given ids).
--
-- KEYS[1]  {p}:dl:expiry (open entries by expiresAt)
-- ARGV[1]  key base;  ARGV[2] now;  ARGV[3] limit;  ARGV[4..] ids (none = any entry)
-- Returns  the ids moved.
--!include lib/common.lua
--!include lib/dead-letters.lua

local now, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local candidates
if #ARGV >= 4 then
  candidates = {}
  for i = 4, #ARGV do candidates[#candidates + 1] = ARGV[i] end
else
  candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
end
local moved, seen = {}, {}
for _, id in ipairs(candidates) do
  if #moved >= limit then break end
  if not seen[id] then
    seen[id] = true
    local m = dl_meta(id)
    if m and (m.status == 'pending' or m.status == 'requires_review') and m.expiresAt and m.expiresAt <= now then
      dl_update(m, { 'status', 'expired', 'generation', int(m.generation + 1), 'updatedAt', int(now) })
      moved[#moved + 1] = id
    elseif not m then
      dl_drop_vanished(KEYS[1], id)
    end
  end
end
return moved
