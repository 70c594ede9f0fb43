-- acquire-leadership.lua: takes the store's leader lease when nobody holds it unexpired (SET NX,
-- PX in 'server' clock mode, under a new fencing epoch), or renews it for the candidate that
-- already holds it (same epoch, expiry never earlier).
--
-- KEYS[1]  {p}:leader
-- KEYS[2]  {p}:leader:epoch
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] candidate;  ARGV[5] lease ms
-- Returns  {1, lease JSON} when the candidate holds the lease; {0, holder's lease JSON} otherwise.
--!include lib/common.lua
--!include lib/leader.lua

local mode = ARGV[2]
local now = store_clock(mode, tonumber(ARGV[3]))
local candidate = ARGV[4]
local expires = now + tonumber(ARGV[5])
local cur = read_lease()
if cur and cur.x > now then
  if cur.h ~= candidate then return { 0, lease_json(cur) } end
  cur.x = math.max(cur.x, expires)
  return { 1, write_lease(cur, mode, now, false) }
end
-- Expired (caller clock) or absent: a new holder, or the same one after a gap, gets a new epoch.
if cur then redis.call('DEL', KEYS[1]) end
local lease = {
  h = candidate,
  e = redis.call('INCR', KEYS[2]),
  a = now,
  x = expires,
  r = (cur and cur.r) or '{}',
}
return { 1, write_lease(lease, mode, now, true) }
