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
  -- The reply is built as one list of parts joined once (a string per job costs twice as much).
  local parts, n, active = { '[' }, 1, {}
  for i, member in ipairs(members) do
    local id = unpad(member)
    local k = jkey(id)
    local f = redis.call('HMGET', k, 'am', 'oc', 'rl', 'ra', 'at', 'd', 'p')
    local made = f[1] or '0'
    redis.call('HSET', k, 's', 'active', 'tk', (made + 1) .. ':' .. claim_id, 'w', worker, 'le', lease, 'sa', started)
    active[i * 2 - 1] = lease
    active[i * 2] = id
    if i > 1 then parts[n + 1] = ',["' else parts[n + 1] = '["' end
    parts[n + 2] = id
    parts[n + 3] = '",'
    parts[n + 4] = made
    parts[n + 5] = ','
    parts[n + 6] = f[2] or '0'
    parts[n + 7] = ','
    parts[n + 8] = f[3] or '0'
    parts[n + 9] = ','
    parts[n + 10] = f[4]
    parts[n + 11] = ','
    parts[n + 12] = nz(f[5]) or 'null'
    parts[n + 13] = ','
    parts[n + 14] = f[6]
    parts[n + 15] = ','
    parts[n + 16] = f[7]
    parts[n + 17] = ']'
    n = n + 17
  end
  parts[n + 1] = ']'
  call_many('ZADD', qkey(queue, 'active'), active)
  return table.concat(parts)
end
