-- lib/claim.lua: promotes due scheduled jobs and claims waiting ones. Needs lib/common.lua, lib/jobs.lua.

-- Moves up to 1000 scheduled jobs of `queue` that are due at `now` to the waiting set.
local function promote(queue, now)
  local sched = qkey(queue, 'sched')
  local due = redis.call('ZRANGEBYSCORE', sched, '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return end
  local adds = {}
  for _, id in ipairs(due) do
    local k = jkey(id)
    local f = redis.call('HMGET', k, 'pr', 'ra')
    redis.call('HSET', k, 's', 'waiting')
    adds[#adds + 1] = wait_score(tonumber(f[1]), tonumber(f[2]))
    adds[#adds + 1] = pad(id)
  end
  call_many('ZADD', qkey(queue, 'wait'), adds)
  call_many('ZREM', sched, due)
end

-- Claims up to `limit` jobs: highest priority, then earliest due, then lowest id. Each gets the
-- token `<attemptsMade + 1>:<claimId>`. Returns one JSON text: an array with, per job,
-- [id, attemptsMade, orphanCount, rateLimitDelays, runAt, attempts, d, payload] (d as stored,
-- see lib/jobs.lua) — `[]` while the queue is paused or empty.
local function claim(registry, queue, worker, limit, lease_ms, now, claim_id)
  if limit <= 0 or redis.call('HGET', registry, queue) == '1' then return '[]' end
  promote(queue, now)
  local wait = qkey(queue, 'wait')
  local members = redis.call('ZRANGE', wait, 0, limit - 1)
  if #members == 0 then return '[]' end
  redis.call('ZREMRANGEBYRANK', wait, 0, #members - 1)
  local lease = int(now + lease_ms)
  local started = int(now)
  local rows, active = {}, {}
  for i, member in ipairs(members) do
    local id = unpad(member)
    local k = jkey(id)
    local f = redis.call('HMGET', k, 'am', 'oc', 'rl', 'ra', 'at', 'd', 'p')
    local made = f[1] or '0'
    redis.call('HSET', k, 's', 'active', 'tk', (made + 1) .. ':' .. claim_id, 'w', worker, 'le', lease, 'sa', started)
    active[#active + 1] = lease
    active[#active + 1] = id
    rows[i] = '["' .. id .. '",' .. made .. ',' .. (f[2] or '0') .. ',' .. (f[3] or '0') .. ',' .. f[4] .. ','
      .. (nz(f[5]) or 'null') .. ',' .. f[6] .. ',' .. f[7] .. ']'
  end
  call_many('ZADD', qkey(queue, 'active'), active)
  return '[' .. table.concat(rows, ',') .. ']'
end
