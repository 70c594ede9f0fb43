-- lib/claim.lua: promotes due scheduled jobs and claims waiting ones. Needs lib/common.lua, lib/jobs.lua.

-- The job fields a claim returns, in this order, after the id and the token.
local CLAIM_FIELDS = { 'n', 'p', 'pr', 'am', 'ma', 'oc', 'rl', 'ra', 'ca', 'to', 'bo', 'ik', 'at', 'ro' }

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

-- Claims up to `limit` jobs: highest priority, then earliest due, then lowest id. Returns a list
-- of { id, token, CLAIM_FIELDS... } (nothing while the queue is paused).
local function claim(registry, queue, worker, limit, lease_ms, now, claim_id)
  if limit <= 0 or redis.call('HGET', registry, queue) == '1' then return {} end
  promote(queue, now)
  local wait = qkey(queue, 'wait')
  local members = redis.call('ZRANGE', wait, 0, limit - 1)
  if #members == 0 then return {} end
  redis.call('ZREMRANGEBYRANK', wait, 0, #members - 1)
  local lease = int(now + lease_ms)
  local started = int(now)
  local jobs, active = {}, {}
  for i, member in ipairs(members) do
    local id = unpad(member)
    local k = jkey(id)
    local f = redis.call('HMGET', k, unpack(CLAIM_FIELDS))
    local token = int(num(f[4], 0) + 1) .. ':' .. claim_id
    redis.call('HSET', k, 's', 'active', 'tk', token, 'w', worker, 'le', lease, 'sa', started)
    active[#active + 1] = lease
    active[#active + 1] = id
    local job = { id, token }
    for j = 1, #CLAIM_FIELDS do job[j + 2] = f[j] end
    jobs[i] = job
  end
  call_many('ZADD', qkey(queue, 'active'), active)
  return jobs
end
