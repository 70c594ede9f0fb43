-- purge-audit.lua: deletes audit entries recorded before a time, oldest first: of the `limit`
-- oldest entries (by sequence), those whose `at` is before it, from every index that holds them.
--
-- KEYS[1]  {p}:audit:all
-- ARGV[1]  key base;  ARGV[2] before (ms);  ARGV[3] limit
-- Returns  how many entries were deleted.
--!include lib/common.lua

local before = tonumber(ARGV[2])
local seqs = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
local deleted = 0
for _, seq in ipairs(seqs) do
  local raw = redis.call('HGET', B .. 'audit:e', seq)
  local entry = raw and cjson.decode(raw)
  if not entry or tonumber(entry.at) < before then
    redis.call('HDEL', B .. 'audit:e', seq)
    redis.call('ZREM', KEYS[1], seq)
    if entry and type(entry.deadLetterId) == 'string' then
      redis.call('ZREM', B .. 'audit:dl:' .. entry.deadLetterId, seq)
    end
    deleted = deleted + 1
  end
end
return deleted
