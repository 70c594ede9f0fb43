-- release-jobs.lua: graceful shutdown: returns active jobs whose token is current to waiting at
-- once, without spending an attempt. The token is cleared, so a late result is refused as stale;
-- runAt becomes min(runAt, now).
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] N;  ARGV[5..] N pairs: id, token
-- Returns  outcomes: 'ok', 'stale_token', 'not_active' or 'not_found' per lease ('not_found' also
--          for a hash without q, which is no job: see delete_job_remnant in lib/jobs.lua).
--!include lib/common.lua
--!include lib/jobs.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local out = {}
local batch = batch_new()
local touched = {}
for i = 1, tonumber(ARGV[4]) do
  local id, token = ARGV[3 + i * 2], ARGV[4 + i * 2]
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'tk', 'q', 'pr', 'ra', 'sus')
  out[i] = fence_outcome(f[1], f[2], f[3], token)
  if not out[i] then
    -- No ra: due since it was created (lib/jobs.lua).
    local run_at = math.min(tonumber(f[5]) or fixed(redis.call('HGET', k, 'd'), 8), now)
    redis.call('HSET', k, 's', 'waiting', 'le', '', 'w', '', 'tk', '', 'ra', int(run_at))
    batch_add(batch, f[3], 'zrem:active', id)
    local score = wait_score(tonumber(f[4]), run_at)
    batch_add(batch, f[3], 'zadd:wait', score, pad(id))
    -- A released suspect must stay findable by a quarantine claim.
    if f[6] == '1' then batch_add(batch, f[3], 'zadd:suspects', score, pad(id)) end
    touched[f[3]] = true
    out[i] = 'ok'
  end
end
batch_apply(batch)
for queue in pairs(touched) do notify(queue) end
return out
