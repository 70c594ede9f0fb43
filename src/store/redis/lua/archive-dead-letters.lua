-- archive-dead-letters.lua: moves up to `limit` resolved or expired entries last changed before
-- `before` to `archived` (optionally only among the given ids).
--
-- KEYS[1]  {p}:dl:closed (resolved and expired entries by updatedAt)
-- ARGV[1]  key base;  ARGV[2] now;  ARGV[3] before;  ARGV[4] limit;  ARGV[5..] ids (none = any entry)
-- Returns  the ids moved.
--!include lib/common.lua
--!include lib/dead-letters.lua

local now, before, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local candidates
if #ARGV >= 5 then
  candidates = {}
  for i = 5, #ARGV do candidates[#candidates + 1] = ARGV[i] end
else
  candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. int(before), 'LIMIT', 0, limit)
end
local moved, seen = {}, {}
for _, id in ipairs(candidates) do
  if #moved >= limit then break end
  if not seen[id] then
    seen[id] = true
    local m = dl_meta(id)
    if m and (m.status == 'resolved' or m.status == 'expired') and m.updatedAt < before then
      dl_update(m, {
        'status', 'archived', 'generation', int(m.generation + 1), 'archivedAt', int(now), 'updatedAt', int(now),
      })
      moved[#moved + 1] = id
    elseif not m then
      dl_drop_vanished(KEYS[1], id)
    end
  end
end
return moved
