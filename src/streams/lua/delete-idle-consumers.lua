-- delete-idle-consumers.lua: deletes consumers with no pending messages idle at least ARGV[2] ms
-- (or, on stop, only this consumer with any idle time). Atomic because between an XINFO CONSUMERS
-- and an XGROUP DELCONSUMER a consumer may read new messages, which DELCONSUMER would silently
-- drop from the pending list (delivered, never acked, never redelivered).
--
-- KEYS[1]  the stream
-- ARGV[1]  group;  ARGV[2] minimum idle ms;  ARGV[3] a consumer to keep (this one);
-- ARGV[4]  '1' to consider only ARGV[3] itself, with any idle time
-- Returns  the names of the consumers deleted

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
