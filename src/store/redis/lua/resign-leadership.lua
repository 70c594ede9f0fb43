-- resign-leadership.lua: gives the leader lease up at once if the candidate holds it under the
-- given epoch, so a standby takes over without waiting; the epoch counter stays.
--
-- KEYS[1]  {p}:leader
-- KEYS[2]  {p}:leader:epoch (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] candidate;  ARGV[3] epoch
-- Returns  1 when given up, 0 otherwise.
--!include lib/common.lua
--!include lib/leader.lua

local cur = read_lease()
if not cur or cur.h ~= ARGV[2] or cur.e ~= tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
