-- extend-leases.lua: heartbeat: moves the lease of each active job whose token is current to
-- now + leaseMs.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] lease ms;  ARGV[5] N;
-- ARGV[6..] N pairs: id, token
-- Returns  { leaseExpiresAt, outcomes }: 'ok', 'stale_token', 'not_active' or 'not_found' per lease
--          ('not_found' also for a hash without q, which is no job: see lib/jobs.lua).
--!include lib/common.lua
--!include lib/jobs.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local lease = int(now + tonumber(ARGV[4]))
local out = {}
local batch = batch_new()
for i = 1, tonumber(ARGV[5]) do
  local id, token = ARGV[4 + i * 2], ARGV[5 + i * 2]
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'tk', 'q')
  out[i] = fence_outcome(f[1], f[2], f[3], token)
  if not out[i] then
    redis.call('HSET', k, 'le', lease)
    batch_add(batch, f[3], 'zadd:active', lease, id)
    out[i] = 'ok'
  end
end
batch_apply(batch)
return { lease, out }
