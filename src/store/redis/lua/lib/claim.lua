-- lib/claim.lua: promotes due scheduled jobs and claims waiting ones. Needs lib/common.lua, lib/jobs.lua.

-- Moves up to 1000 scheduled jobs of `queue` that are due at `now` to the waiting set. An id
-- without a job (see delete_job_remnant in lib/jobs.lua) leaves the scheduled set and waits nowhere.
local function promote(queue, now)
  local sched = qkey(queue, 'sched')
  local due = redis.call('ZRANGEBYSCORE', sched, '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return end
  local adds, suspects = {}, {}
  for _, id in ipairs(due) do
    local k = jkey(id)
    local f = redis.call('HMGET', k, 'pr', 'ra', 'sus', 'd')
    if not f[4] then
      delete_job_remnant(k)
    else
      redis.call('HSET', k, 's', 'waiting')
      local score = wait_score(tonumber(f[1]), tonumber(f[2]))
      adds[#adds + 1] = score
      adds[#adds + 1] = pad(id)
      if f[3] == '1' then
        suspects[#suspects + 1] = score
        suspects[#suspects + 1] = pad(id)
      end
    end
  end
  call_many('ZADD', qkey(queue, 'wait'), adds)
  if #suspects > 0 then call_many('ZADD', qkey(queue, 'suspects'), suspects) end
  call_many('ZREM', sched, due)
end

-- Raises a worker's start horizon (never lowers it) and notes when (forgotten after a day unused).
local function raise_horizon(worker, horizon, now)
  local key = B .. 'horizons'
  local current = tonumber(redis.call('HGET', key, worker) or '-1')
  if horizon > current then redis.call('HSET', key, worker, int(horizon)) end
  redis.call('HSET', B .. 'horizons:at', worker, int(now))
end

-- The first waiting suspect of `queue` in claim order, or nil. The suspects index may hold stale
-- members (a suspect removed or already claimed): they are dropped here.
local function first_suspect(queue)
  local index = qkey(queue, 'suspects')
  for _ = 1, 100 do
    local head = redis.call('ZRANGE', index, 0, 0)
    if #head == 0 then return nil end
    local member = head[1]
    local f = redis.call('HMGET', jkey(unpad(member)), 's', 'sus')
    if f[1] == 'waiting' and f[2] == '1' then return member end
    redis.call('ZREM', index, member)
  end
  return nil
end

-- At most this many waiting ids without a job one claim drops (see below): a queue whose hashes
-- were evicted by the thousand is cleared over several claims, none holding the server long.
local MAX_DROPPED = 1000

-- Claims jobs: with `quarantine` and a suspect waiting, that suspect alone (claimed with 'qn' =
-- '1'); otherwise up to `limit` jobs that are not suspects, highest priority, then earliest due,
-- then lowest id, each with its start sequence number first_seq + position (in field ws; '' without
-- start marks), the worker's start horizon raised to `horizon`. Suspects met on the way stay
-- waiting (and join the suspects index, should a retry have put them back without it). Each job
-- gets the token `<attemptsMade + 1>:<claimId>`. Returns the JSON text of an array with, per job,
-- [id, attemptsMade, orphanCount, rateLimitDelays, runAt (null: createdAt, see lib/jobs.lua),
-- attempts, d, payload] (d as stored, see
-- lib/jobs.lua, or 0 when it is the same as the previous job's), cut into pieces of a few
-- kilobytes (a list of strings to join; empty while the queue is paused or empty), and '1' for a
-- quarantine claim.
--
-- A waiting id without a job (see delete_job_remnant in lib/jobs.lua) is dropped from the waiting
-- set, its remnant deleted, and nothing reported for it: a claim never writes into a hash that is
-- gone. The claim reads on past such ids (up to MAX_DROPPED), so they do not take a live job's
-- place in the batch.
--
-- Why pieces: every string Lua makes is hashed over all its bytes (~14 instructions a byte), and
-- table.concat of a reply larger than its 8 KB buffer hashes the bytes again at each merge, three
-- times in all for a batch of hundreds of jobs. A piece that fits the buffer is hashed once.
-- Why d may be 0: the jobs of a bulk insert share d, and Lua strings are interned, so telling it
-- is the same as the previous one is one comparison; each copy left out is ~50 bytes less to hash,
-- send and parse.
local PIECE_BYTES = 7000
local function claim(registry, queue, worker, limit, lease_ms, now, claim_id, first_seq, horizon, quarantine)
  if limit <= 0 or redis.call('HGET', registry, queue) == '1' then return {}, '' end
  promote(queue, now)
  local wait = qkey(queue, 'wait')
  local index = qkey(queue, 'suspects')
  local members, quarantined = nil, ''
  if quarantine then
    local suspect = first_suspect(queue)
    if suspect then
      members, quarantined = { suspect }, '1'
      redis.call('ZREM', index, suspect)
    end
  end
  local extra = 0
  if not members then
    -- Without WITHSCORES: a score is a double Redis formats and Lua parses back, per job; only a
    -- suspect put back into its index needs its score (ZSCORE below).
    extra = redis.call('ZCARD', index)
    members = redis.call('ZRANGE', wait, 0, limit + extra - 1)
  end
  if #members == 0 then return {}, '' end
  local marks = first_seq and quarantined == ''
  local next_seq
  if marks then next_seq = decimals_from(first_seq) end
  local lease = int(now + lease_ms)
  local started = int(now)
  -- Every string made per job costs its creation and its garbage collection: what is the same
  -- for the batch (a fresh job's token; field ws but for the sequence number) is made once.
  local call = redis.call
  local fresh_token = '1:' .. claim_id
  local held_head, held_tail = started .. ':', ':' .. worker
  local held_same = held_head .. held_tail
  -- The reply is built as lists of parts joined once per piece (a string per job costs twice as
  -- much); `bytes` estimates the piece's length.
  local parts, n, active, picked, skipped = { '[' }, 1, {}, {}, 0
  local pieces, bytes, last_d = {}, 0, nil
  -- Waiting ids without a job, dropped (see above).
  local dropped = {}
  while true do
    local dropped_before = #dropped
    for m = 1, #members do
      if #picked >= limit or #dropped >= MAX_DROPPED then break end
      local member = members[m]
      local id = unpad(member)
      local k = jkey(id)
      -- A job without an attempt record has no counters, suspect or quarantine mark either (see
      -- lib/jobs.lua): a fresh job costs one read of four fields, a job with a history two reads.
      local f = call('HMGET', k, 'at', 'ra', 'd', 'p')
      local made, orphans, delays, suspect = '0', '0', '0', false
      if f[1] then
        local h = redis.call('HMGET', k, 'am', 'oc', 'rl', 'sus')
        made, orphans, delays, suspect = h[1] or '0', h[2] or '0', h[3] or '0', h[4] == '1'
      end
      if not f[3] or not f[4] then
        dropped[#dropped + 1] = member
        delete_job_remnant(k)
      elseif suspect and quarantined == '' then
        redis.call('ZADD', index, redis.call('ZSCORE', wait, member), member)
        skipped = skipped + 1
      else
        local i = #picked + 1
        picked[i] = member
        -- Start, sequence number and worker as one field (see holder in lib/jobs.lua).
        local held = held_same
        if marks then held = held_head .. next_seq() .. held_tail end
        if f[1] then
          local token = next_attempt(made) .. ':' .. claim_id
          call('HSET', k, 's', 'active', 'tk', token, 'le', lease, 'ws', held, 'qn', quarantined)
        else
          call('HSET', k, 's', 'active', 'tk', fresh_token, 'le', lease, 'ws', held)
        end
        active[i * 2 - 1] = lease
        active[i * 2] = id
        -- A job's entry is closed by the next one's separator (or the reply's end); a fresh job's
        -- counters and attempt record are constant text (each part costs a table slot and a copy).
        if i > 1 then parts[n + 1] = '],["' else parts[n + 1] = '["' end
        parts[n + 2] = id
        if f[1] then
          parts[n + 3] = '",' .. made .. ',' .. orphans .. ',' .. delays .. ','
          parts[n + 4] = f[2] or 'null'
          parts[n + 5] = ',' .. (nz(f[1]) or 'null') .. ','
        else
          parts[n + 3] = '",0,0,0,'
          parts[n + 4] = f[2] or 'null'
          parts[n + 5] = ',null,'
        end
        local d, payload = f[3], f[4]
        if d == last_d then parts[n + 6] = '0' else parts[n + 6] = d end
        last_d = d
        parts[n + 7] = ','
        parts[n + 8] = payload
        n = n + 8
        bytes = bytes + #payload + 60
        if bytes > PIECE_BYTES then
          pieces[#pieces + 1] = table.concat(parts)
          parts, n, bytes = {}, 0, 0
        end
      end
    end
    -- Dropped ids took places in the range: read on past them (a quarantine claim has its one).
    if #picked >= limit or #dropped == dropped_before or quarantined ~= '' or #dropped >= MAX_DROPPED then break end
    local read = #picked + skipped + #dropped
    members = redis.call('ZRANGE', wait, read, read + limit - #picked + extra - 1)
    if #members == 0 then break end
  end
  if skipped == 0 and quarantined == '' then
    -- With no suspect passed over, what was read is the head of the waiting set: picked or dropped.
    local read = #picked + #dropped
    if read > 0 then redis.call('ZREMRANGEBYRANK', wait, 0, read - 1) end
  else
    call_many('ZREM', wait, picked)
    call_many('ZREM', wait, dropped)
  end
  if #picked == 0 then return {}, '' end
  if marks then raise_horizon(worker, horizon, now) end
  parts[n + 1] = ']]'
  pieces[#pieces + 1] = table.concat(parts)
  call_many('ZADD', qkey(queue, 'active'), active)
  return pieces, quarantined
end
