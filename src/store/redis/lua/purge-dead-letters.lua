-- purge-dead-letters.lua: deletes up to `limit` archived entries (archived before `before`,
-- optionally only among the given ids) with every index entry (search indexes included), and adds them to the purge tally.
--
-- KEYS[1]  {p}:dl:archived (archived entries by updatedAt)
-- ARGV[1]  key base;  ARGV[2] before ('' = any time);  ARGV[3] limit;  ARGV[4..] ids (none = any)
-- Returns  the ids deleted.
--!include lib/common.lua
--!include lib/dead-letters.lua

local before, limit = num(ARGV[2], nil), tonumber(ARGV[3])
local candidates
if #ARGV >= 4 then
  candidates = {}
  for i = 4, #ARGV do candidates[#candidates + 1] = ARGV[i] end
else
  local max = '+inf'
  if before then max = '(' .. int(before) end
  candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', max, 'LIMIT', 0, limit)
end
local deleted, seen = {}, {}
for _, id in ipairs(candidates) do
  if #deleted >= limit then break end
  if not seen[id] then
    seen[id] = true
    local m = dl_meta(id)
    if m and m.status == 'archived' and (not before or m.updatedAt < before) then
      dl_status_index(m, -1)
      dl_identity_index(m, -1)
      dlx.remove(dkey(id), m.member)
      redis.call('DEL', dkey(id))
      deleted[#deleted + 1] = id
    elseif not m then
      dl_drop_vanished(KEYS[1], id)
    end
  end
end
if #deleted > 0 then redis.call('HINCRBY', B .. 'dl:tally', 'purged', #deleted) end
return deleted
