-- next-lease-expiry.lua: reads (changes nothing) how long until the earliest lease of an active
-- job expires, on the clock the store's leases use, so that the elected rescuer can sweep then.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;
-- ARGV[4]  a queue name, or '' for every registered queue
-- Returns  milliseconds from now to that expiry (0 when it has passed), or false when no job is active.
--!include lib/common.lua
--!include lib/jobs.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local queues
if ARGV[4] ~= '' then queues = { ARGV[4] } else queues = redis.call('HKEYS', KEYS[1]) end
local earliest
for _, queue in ipairs(queues) do
  local first = redis.call('ZRANGE', qkey(queue, 'active'), 0, 0, 'WITHSCORES')
  if first[2] then
    local at = tonumber(first[2])
    if earliest == nil or at < earliest then earliest = at end
  end
end
if earliest == nil then return false end
return math.floor(math.max(0, earliest - now))
