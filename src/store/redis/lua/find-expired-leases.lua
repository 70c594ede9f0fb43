-- find-expired-leases.lua: reads the active jobs whose lease expired before now, earliest expiry
-- first, across the given queues: the first half of a recovery sweep. The caller builds
-- poison-pill dead letters for those that will reach maxOrphans, then runs
-- recover-expired-leases.lua, which changes only jobs still holding the lease and token read here.
-- It changes no job. It drops an active-index member without a job (its hash gone, evicted under
-- an allkeys-* maxmemory policy or deleted by hand, or a remnant without q and d: see
-- delete_job_remnant in lib/jobs.lua, which deletes it): no sweep could take it, so left there it
-- would read as an expired lease for ever (next-lease-expiry.lua answering 0) and, with `limit`
-- of them earliest, hide every live expired lease behind them.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] limit;
-- ARGV[5]  a queue name, or '' for every registered queue
-- Returns  a list of { id, token, queue, name, orphanCount, orphanedWhile } (see orphaned_while in
--          lib/jobs.lua). Also forgets the start horizons of workers unseen for a day.
--!include lib/common.lua
--!include lib/jobs.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local limit = tonumber(ARGV[4])
local queues
if ARGV[5] ~= '' then queues = { ARGV[5] } else queues = redis.call('HKEYS', KEYS[1]) end
local found = {}
for _, queue in ipairs(queues) do
  local hits = redis.call('ZRANGEBYSCORE', qkey(queue, 'active'), '-inf', '(' .. int(now), 'WITHSCORES', 'LIMIT', 0, limit)
  for i = 1, #hits, 2 do found[#found + 1] = { hits[i], tonumber(hits[i + 1]), queue } end
end
table.sort(found, function(a, b) return a[2] < b[2] end)
local out = {}
for i = 1, #found do
  if #out >= limit then break end
  local id = found[i][1]
  local f = redis.call('HMGET', jkey(id), 'tk', 'q', 'd', 'oc', 'qn', 'ws', 'sq', 'w')
  if not f[2] or not f[3] then
    redis.call('ZREM', qkey(found[i][3], 'active'), id)
    delete_job_remnant(jkey(id))
  elseif f[1] then
    local _, seq, worker = holder(f[6], nil, f[7], f[8])
    out[#out + 1] = { id, f[1], f[2], fixed(f[3], 1), int(num(f[4], 0)), orphaned_while(f[5], seq, worker) }
  end
end
-- A handful of horizons cost nothing; past that, drop those not raised for a day.
local seen = B .. 'horizons:at'
if redis.call('HLEN', seen) > 100 then
  local all = redis.call('HGETALL', seen)
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < now - 86400000 then
      redis.call('HDEL', seen, all[i])
      redis.call('HDEL', B .. 'horizons', all[i])
    end
  end
end
return out
