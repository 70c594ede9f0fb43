-- remove-jobs.lua: deletes up to `limit` jobs of one queue in one state (never `active`).
-- Completed and dead-lettered jobs are taken by finish time (`before`: finished before it; the
-- completed ones of earlier versions first, see done_add in lib/jobs.lua);
-- waiting and scheduled ones in set order, with `before` checked against their creation time,
-- examining at most `budget` of them from `offset` per call (the caller continues with the
-- returned offset). A removed job's idempotency key is freed, and its dead letter's link kept.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] queue;  ARGV[3] state: completed | dead_lettered | waiting | scheduled;
-- ARGV[4]  before ('' = any time);  ARGV[5] limit;  ARGV[6] offset;  ARGV[7] budget
-- Returns  { removedCount, next } where next is the offset to continue from, or 'end'.
--!include lib/common.lua
--!include lib/jobs.lua

local queue, state, before = ARGV[2], ARGV[3], num(ARGV[4], nil)
local limit, offset, budget = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local SETS = { completed = 'done', dead_lettered = 'dead', waiting = 'wait', scheduled = 'sched' }
local set = SETS[state]
if not set or limit <= 0 then return { 0, 'end' } end
local zset = qkey(queue, set)

local function remove(id)
  local k = jkey(id)
  local f = redis.call('HMGET', k, 'ik', 'dl')
  local key, dead_letter = f[1], f[2]
  if key and redis.call('HGET', qkey(queue, 'ik'), key) == id then redis.call('HDEL', qkey(queue, 'ik'), key) end
  -- A dead letter written at format 4 is linked to its job by the job's `dl` field only: the link
  -- goes to {p}:dl:job before the job does (kept as it is when the job has one there already).
  if dead_letter and redis.call('EXISTS', B .. 'dl:e:' .. dead_letter) == 1 then
    redis.call('HSETNX', B .. 'dl:job', id, dead_letter)
  end
  redis.call('DEL', k)
  ids_remove(queue, id)
end

-- Up to `n` members of a set scored by finish time, earliest first (before `before` if given).
local function by_finish(key, n, scores)
  local max = '+inf'
  if before then max = '(' .. int(before) end
  if scores then return redis.call('ZRANGEBYSCORE', key, '-inf', max, 'WITHSCORES', 'LIMIT', 0, n) end
  return redis.call('ZRANGEBYSCORE', key, '-inf', max, 'LIMIT', 0, n)
end

-- Jobs listed by the members of a batch index (`q:<queue>:fin` counted by `nfin`, see done_add in
-- lib/jobs.lua, or `dfin` counted by `ndfin`, see dead_add), up to `n`: a member whose jobs are
-- not all taken is put back with the rest.
local function remove_finished(n, set_name, count_name)
  local fin = qkey(queue, set_name)
  local taken = 0
  while taken < n do
    local runs = by_finish(fin, n - taken, true)
    if #runs == 0 then break end
    for r = 1, #runs, 2 do
      if taken >= n then break end
      local rest = {}
      for id in string.gmatch(runs[r], '[^,]+') do
        if taken < n then
          remove(id)
          taken = taken + 1
        else
          rest[#rest + 1] = id
        end
      end
      redis.call('ZREM', fin, runs[r])
      if #rest > 0 then redis.call('ZADD', fin, runs[r + 1], table.concat(rest, ',')) end
    end
  end
  if taken > 0 and redis.call('DECRBY', qkey(queue, count_name), taken) <= 0 then redis.call('DEL', qkey(queue, count_name)) end
  return taken
end

local removed = 0
if set == 'done' or set == 'dead' then
  local ids = by_finish(zset, limit, false)
  for _, id in ipairs(ids) do remove(id) end
  call_many('ZREM', zset, ids)
  removed = #ids
  -- Jobs an earlier version completed (one member each in `done`) go first: they finished before
  -- this version's, but for those completed while both versions ran. Dead-lettered jobs alike
  -- (`dead` before format 4's `dfin`).
  if set == 'done' and removed < limit then removed = removed + remove_finished(limit - removed, 'fin', 'nfin') end
  if set == 'dead' and removed < limit then removed = removed + remove_finished(limit - removed, 'dfin', 'ndfin') end
  return { removed, 'end' }
end

local members = redis.call('ZRANGE', zset, offset, offset + budget - 1)
local gone = {}
for _, member in ipairs(members) do
  if removed >= limit then break end
  local id = member
  if set == 'wait' then id = unpad(member) end
  if not before or (fixed(redis.call('HGET', jkey(id), 'd') or '[]', 8) or 0) < before then
    remove(id)
    gone[#gone + 1] = member
    removed = removed + 1
  end
end
call_many('ZREM', zset, gone)
if removed >= limit or #members < budget then return { removed, 'end' } end
return { removed, int(offset + #members - removed) }
