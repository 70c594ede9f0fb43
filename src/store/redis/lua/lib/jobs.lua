-- lib/jobs.lua: job keys and the small steps every job transition shares. Needs lib/common.lua.
--
-- Job hash fields (absent or '' = null or 0): q queue; d the attributes fixed at insert, as one
-- JSON array [name, priority, maxAttempts, timeoutMs, backoff, idempotencyKey, replayOf,
-- createdAt] with the job's headers object appended when it has any; p payload JSON; pr priority
-- (absent: normal, 1, the default, so that most jobs store one field less); ik idempotency key
-- (also in d; kept apart for removal); ra run at (absent: createdAt, for a job stored at format 3
-- due when created; see insert-jobs.lua); s state; am attempts made (of a completed job:
-- the attempt in its token tk, which a completion leaves as it is and does not copy); oc orphan
-- count; rl rate-limit delays; fa finished at; le lease expiry (meaningful only while the state is active:
-- a completion and a failure leave it behind); tk fencing token; ws `<startedAt>:<seq>:<workerId>` of the last
-- claim (seq its start sequence number, '' without start marks; see holder); w worker id ('' once
-- the job is back in waiting); r result JSON; at attempts JSON array; la signature of the last
-- attempt (duplicate detection); dl dead-letter id; sus '1' for a suspect (orphaned while running:
-- claimed only alone, in quarantine, until it finishes); qn '1' while claimed alone in quarantine.
-- Claims of earlier versions wrote sa (started at), sq (seq) and w instead of ws.
--
-- A job has am, oc, rl, sus or qn only once it has an attempt record (at): every step that sets
-- one of them (a failure, a recovery) appends an attempt. A claim reads them only when at is set.

local function jkey(id)
  return B .. 'j:' .. id
end

-- A job hash without q, d or p is no job. Every insert writes the three together and no step
-- removes one, so such a hash is gone (evicted under an allkeys-* maxmemory policy, deleted by
-- hand) or a remnant: the state fields (s, tk, le, ws) that a claim or promotion of an earlier
-- release wrote into a hash that was gone, before it stopped with a script error. A script checks
-- whichever of the three it reads anyway. One that takes ids from an index (a claim, a promotion,
-- a lease sweep) drops the id there and deletes the remnant with this, so nothing reads it again;
-- a call naming a job (completion, failure, heartbeat, release, progress) answers 'not_found' and
-- changes nothing; reads (getJob, listJobs) skip it.
local function delete_job_remnant(k)
  redis.call('DEL', k)
end

-- What a call naming a job by id and token makes of the job's s, tk and q fields: 'not_found'
-- (no hash, or one without q: no job, see delete_job_remnant), 'stale_token', 'not_active', or
-- nil when the job is active under `token`.
local function fence_outcome(state, held_token, queue, token)
  if not state or not queue then return 'not_found' end
  if held_token ~= token then return 'stale_token' end
  if state ~= 'active' then return 'not_active' end
  return nil
end

local function qkey(queue, kind)
  return B .. 'q:' .. queue .. ':' .. kind
end

-- Waiting-set members are zero-padded ids, so equal scores (same priority and due time) order by id.
local function pad(id)
  return string.rep('0', 15 - #id) .. id
end

local function unpad(member)
  return (string.gsub(member, '^0+', ''))
end

-- The listing index `q:<queue>:ids` (a zset scored by id) holds one member per job, the job's id,
-- or one member per run of consecutive ids inserted together, `<first>-<last>` scored by its
-- first id, so that a bulk insert writes one member instead of one per job. `q:<queue>:idn`
-- counts the jobs of each run still stored; the run goes when its last job is removed.
local function ids_add_run(queue, first, n)
  local sid = string.format('%d', first)
  if n == 1 then
    redis.call('ZADD', qkey(queue, 'ids'), sid, sid)
    return
  end
  local member = sid .. '-' .. string.format('%d', first + n - 1)
  redis.call('ZADD', qkey(queue, 'ids'), sid, member)
  redis.call('HSET', qkey(queue, 'idn'), member, n)
end

-- The first and last id of a listing-index member (a job id is a run of one).
local function ids_run_bounds(member)
  local a, b = string.match(member, '^(%d+)-(%d+)$')
  if a then return tonumber(a), tonumber(b) end
  local id = tonumber(member)
  return id, id
end

-- Takes a removed job out of the listing index: its own member, or one job of its run's count.
local function ids_remove(queue, id)
  local ids = qkey(queue, 'ids')
  if redis.call('ZREM', ids, id) == 1 then return end
  local run = redis.call('ZREVRANGEBYSCORE', ids, id, '-inf', 'LIMIT', 0, 1)[1]
  if not run then return end
  local first, last = ids_run_bounds(run)
  local n = tonumber(id)
  if first == last or n < first or n > last then return end
  if redis.call('HINCRBY', qkey(queue, 'idn'), run, -1) <= 0 then
    redis.call('ZREM', ids, run)
    redis.call('HDEL', qkey(queue, 'idn'), run)
  end
end

-- The completed index, read only by counts and by the removal of completed jobs: `q:<queue>:fin`
-- holds one member per batch of completions finished together, its ids joined by ',' and scored
-- by the finish time, and `q:<queue>:nfin` counts the jobs its members list (a batch costs one
-- member, not one per job). `q:<queue>:done` holds the jobs earlier versions completed, one id per
-- member, scored by finish time: both are read.
local function done_add(queue, finished, ids)
  redis.call('ZADD', qkey(queue, 'fin'), finished, table.concat(ids, ','))
  redis.call('INCRBY', qkey(queue, 'nfin'), #ids)
end

-- The dead-lettered index from format 4, alike: `q:<queue>:dfin` holds one member per failure batch
-- (its dead-lettered ids joined by ','), scored by the batch's time, and `q:<queue>:ndfin` counts
-- them; `q:<queue>:dead` keeps one id per member (earlier formats, and lease recovery's poison
-- pills): both are read.
local function dead_add(queue, finished, ids)
  redis.call('ZADD', qkey(queue, 'dfin'), finished, table.concat(ids, ','))
  redis.call('INCRBY', qkey(queue, 'ndfin'), #ids)
end

-- When, as which start sequence number and by which worker a job was last claimed (strings, or
-- nil), from its fields ws, sa, sq and w. A claim writes ws (one field instead of three); one of an
-- earlier version wrote sa, sq and w, and those count while w is set: every step that returns a job
-- to waiting clears w, and no claim of this version sets it.
local function holder(ws, sa, sq, w)
  if nz(w) or not nz(ws) then return nz(sa), nz(sq), nz(w) end
  local started, seq, worker = string.match(ws, '^(%d*):(%d*):(.*)$')
  return nz(started), nz(seq), nz(worker)
end

-- attempts made + 1 as a decimal string, from the stored string (no number formatting: a Lua
-- number turned into a string goes through '%.14g', the costliest step of a small script).
local NEXT_ATTEMPT = { [''] = '1', ['0'] = '1', ['1'] = '2', ['2'] = '3', ['3'] = '4', ['4'] = '5' }
local function next_attempt(made)
  return NEXT_ATTEMPT[made] or string.format('%d', tonumber(made) + 1)
end

-- Claim order in one score: priority (high first; absent: normal, 1), then due time. Exact in a double.
local function wait_score(priority, run_at)
  priority = priority or 1
  if run_at < 0 then run_at = 0 elseif run_at > 9999999999999 then run_at = 9999999999999 end
  return (2 - priority) * 10000000000000 + run_at
end

-- A field of d (1-based: 1 name, 2 priority, 3 maxAttempts, ..., 8 createdAt).
local function fixed(d, i)
  local v = cjson.decode(d)[i]
  if v == cjson.null then return nil end
  return v
end

-- Appends one attempt record (JSON text) to a JSON array (text, or absent).
local function append_attempt(list, attempt)
  if not nz(list) or list == '[]' then return '[' .. attempt .. ']' end
  return string.sub(list, 1, -2) .. ',' .. attempt .. ']'
end

-- The same with the attempt given as a list of that one record (`[{...}]`).
local function append_attempt_list(list, one)
  if not nz(list) or list == '[]' then return one end
  return string.sub(list, 1, -2) .. ',' .. string.sub(one, 2)
end

-- Tells idle workers of `queue` (in every process) that jobs may be available.
local function notify(queue)
  redis.call('PUBLISH', B .. 'notify:' .. queue, '1')
end

-- Per-queue batches of index changes, applied once per queue at the end of a script.
local function batch_new()
  return {}
end

-- Adds one member (`a`), or one score and member (`a`, `b`), to the batch's list for `kind` (fixed
-- parameters: a vararg call built a table per change).
local function batch_add(batch, queue, kind, a, b)
  local q = batch[queue]
  if not q then q = {}; batch[queue] = q end
  local list = q[kind]
  if not list then list = {}; q[kind] = list end
  list[#list + 1] = a
  if b ~= nil then list[#list + 1] = b end
end

-- kinds: zrem:<set> members, zadd:<set> score/member pairs.
local function batch_apply(batch)
  for queue, kinds in pairs(batch) do
    for kind, list in pairs(kinds) do
      local op, set = string.match(kind, '^(%a+):(%a+)$')
      if op == 'zrem' then call_many('ZREM', qkey(queue, set), list)
      else call_many('ZADD', qkey(queue, set), list) end
    end
  end
end

-- How the worker held an active job whose lease expired: 'quarantine' (claimed alone as a
-- suspect), 'prefetched' (start sequence number at or beyond its worker's start horizon: never
-- started) or 'running' (it may have started; also whenever the number or horizon is unknown).
local function orphaned_while(quarantined, seq, worker)
  if quarantined == '1' then return 'quarantine' end
  local s = tonumber(seq or '')
  if s and worker then
    local horizon = tonumber(redis.call('HGET', B .. 'horizons', worker) or '')
    if horizon and s >= horizon then return 'prefetched' end
  end
  return 'running'
end
