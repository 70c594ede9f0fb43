-- renew-leadership.lua: extends the leader lease (expiry never earlier) if the candidate still
-- holds it unexpired under the given epoch: the fencing check a leader makes before each round
-- of maintenance writes.
--
-- KEYS[1]  {p}:leader
-- KEYS[2]  {p}:leader:epoch (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] candidate;  ARGV[5] epoch;
-- ARGV[6]  lease ms;  ARGV[7] service runs JSON ('' keeps the recorded ones)
-- Returns  {1, lease JSON} when renewed; {0, holder's lease JSON} or {0} (nobody holds it) otherwise.
--!include lib/common.lua
--!include lib/leader.lua

local mode = ARGV[2]
local now = store_clock(mode, tonumber(ARGV[3]))
local cur = read_lease()
if not cur or cur.x <= now then return { 0 } end
if cur.h ~= ARGV[4] or cur.e ~= tonumber(ARGV[5]) then return { 0, lease_json(cur) } end
cur.x = math.max(cur.x, now + tonumber(ARGV[6]))
if ARGV[7] ~= '' then cur.r = ARGV[7] end
return { 1, write_lease(cur, mode, now, false) }
