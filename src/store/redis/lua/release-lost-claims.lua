-- release-lost-claims.lua: a worker lost the replies of some claims (the connection dropped after
-- Redis may have run them); the jobs it still holds in the queue under one of those claims return
-- to waiting at once, as release-jobs.lua does: no attempt spent, the token cleared (a late result
-- under it is refused as stale), runAt = min(runAt, now). Run before the worker's next claim.
--
-- A claim's jobs are found by their token (`<attempt>:<claim id>`) and holder (field ws ends with
-- the worker id) among the queue's active jobs: only run after a lost reply, so the scan of the
-- active set costs nothing on the claim path.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6..] the ids of the lost claims
-- Returns  the number of jobs released.
--!include lib/common.lua
--!include lib/jobs.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local queue, worker = ARGV[4], ARGV[5]
local lost = {}
for i = 6, #ARGV do lost[ARGV[i]] = true end

local released = 0
local batch = batch_new()
for _, id in ipairs(redis.call('ZRANGE', qkey(queue, 'active'), 0, -1)) do
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'tk', 'am', 'ws', 'sa', 'sq', 'w', 'pr', 'ra', 'sus')
  local attempt, claim_id = string.match(f[2] or '', '^(%d+):(.*)$')
  local _, _, holder_id = holder(f[4], f[5], f[6], f[7])
  if f[1] == 'active' and claim_id and lost[claim_id] and attempt == next_attempt(f[3] or '')
    and holder_id == worker then
    -- No ra: due since it was created (lib/jobs.lua).
    local run_at = math.min(tonumber(f[9]) or fixed(redis.call('HGET', k, 'd'), 8), now)
    redis.call('HSET', k, 's', 'waiting', 'le', '', 'w', '', 'tk', '', 'ra', int(run_at))
    batch_add(batch, queue, 'zrem:active', id)
    local score = wait_score(tonumber(f[8]), run_at)
    batch_add(batch, queue, 'zadd:wait', score, pad(id))
    -- A released suspect must stay findable by a quarantine claim.
    if f[10] == '1' then batch_add(batch, queue, 'zadd:suspects', score, pad(id)) end
    released = released + 1
  end
end
batch_apply(batch)
if released > 0 then notify(queue) end
return released
