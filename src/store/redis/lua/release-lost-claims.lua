-- release-lost-claims.lua: a worker lost the replies of some claims (the connection dropped after
-- Redis may have run them); the jobs it still holds in the queue under one of those claims return
-- to waiting at once, as release-jobs.lua does: no attempt spent, the token cleared (a late result
-- under it is refused as stale), runAt = min(runAt, now). Run before the worker's next claim.
--
-- A claim's jobs are found by their token (`<attempt>:<claim id>`) and holder (field ws ends with
-- the worker id) among the queue's active jobs. Only those leased since the earliest lost claim was
-- sent are read: the active set's score is the lease expiry, which a claim sets to its now plus
-- leaseMs, so a lost claim's jobs score at least `since + leaseMs`. With the server's clock, `since`
-- (the caller's) is moved onto the server's by this call's offset, which is too large by this
-- call's delay on the way (the wait for a connection, the network), hence the allowance below it.
-- A job found no more in that window (an allowance too small) waits for its lease to expire. An
-- id read there without a job (see delete_job_remnant in lib/jobs.lua) is dropped from the set.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6]  when the earliest lost claim was sent (caller's clock; '' to read every active job);
-- ARGV[7]  the lost claims' leaseMs;  ARGV[8..] the ids of the lost claims
-- Returns  the number of jobs released.
--!include lib/common.lua
--!include lib/jobs.lua

-- How much later than the caller's now this call may reach the server (see above).
local SERVER_CLOCK_ALLOWANCE_MS = 10000

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local queue, worker = ARGV[4], ARGV[5]
local since, lease_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local lost = {}
for i = 8, #ARGV do lost[ARGV[i]] = true end

local from = '-inf'
if since then
  from = since + lease_ms
  if ARGV[2] == 'server' then from = from + offset - SERVER_CLOCK_ALLOWANCE_MS end
end

local released = 0
local batch = batch_new()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', qkey(queue, 'active'), from, '+inf')) do
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'tk', 'am', 'ws', 'sa', 'sq', 'w', 'pr', 'ra', 'sus', 'd')
  local attempt, claim_id = string.match(f[2] or '', '^(%d+):(.*)$')
  local _, _, holder_id = holder(f[4], f[5], f[6], f[7])
  if not f[11] then
    batch_add(batch, queue, 'zrem:active', id)
    delete_job_remnant(k)
  elseif f[1] == 'active' and claim_id and lost[claim_id] and attempt == next_attempt(f[3] or '')
    and holder_id == worker then
    -- No ra: due since it was created (lib/jobs.lua).
    local run_at = math.min(tonumber(f[9]) or fixed(f[11], 8), now)
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
