-- lib/dead-letters-packed.lua: format 2's dead letters of failing jobs (FORMAT_VERSIONS in
-- keys.ts), inserted with their index writes gathered per block, queue and status. Needs
-- lib/common.lua and lib/dead-letters.lua; used by lib/fail.lua.

-- The index writes that the entries of one block, queue and status share (what dl_batch_index
-- gathers, with the keys built once): one list of score/member pairs for the time, queue,
-- fingerprint and cell indexes and the search-index queue (the same pairs go to each; dl_batch_apply
-- writes them), the expiry index's pairs, a count for the counters and the fingerprint's
-- sightings. A failure storm's entries all go through one sink.
local function dl_sink(batch, shared, queue, status)
  local by_queue = shared.sinks
  if not by_queue then by_queue = {}; shared.sinks = by_queue end
  local by_status = by_queue[queue]
  if not by_status then by_status = {}; by_queue[queue] = by_status end
  local sink = by_status[status]
  if sink then return sink end
  local meta = shared.meta
  local fp = meta.fingerprint
  local seen = batch.seen[fp]
  if not seen then
    seen = { identity = shared.identity, first = math.huge, last = -math.huge }
    batch.seen[fp] = seen
  elseif not seen.identity then
    seen.identity = shared.identity
  end
  dl_batch_sadd(batch, B .. 'dl:domains', meta.domain)
  sink = {
    keys = { B .. 'dl:t', B .. 'dl:q:' .. queue, B .. 'dl:f:' .. fp, cell_key(status, meta.domain) },
    pairs = {}, np = 0, expiry = {}, ne = 0, seen = seen, n = 0,
    group = group_cell({ fingerprint = fp, status = status, domain = meta.domain, queue = queue, failureType = meta.failureType or '' }),
    count = status .. ':' .. meta.domain,
  }
  by_status[status] = sink
  local sinks = batch.sinks
  if not sinks then sinks = {}; batch.sinks = sinks end
  sinks[#sinks + 1] = sink
  return sink
end

-- Format 2 (FORMAT_VERSIONS in keys.ts): a failing job's dead letter whose rarely read properties
-- (the block's packed ones, firstFailedAt, the job's name and attempts) are one JSON field `x`,
-- and whose defaults are left out (generation 1, replayCount 0; the id is the end of `member`).
-- Nothing but the readers of this release reads `x`: the fields that scripts filter, index or
-- guard on stay fields. `first`, `at` and `expires` are the entry's own times as the caller sent
-- them (firstFailedAt, deadLetteredAt, expiresAt; expires nil = none), `job` is job_fixed's
-- (lib/fail.lua) and `shared` the entry's block (dl_shared). Returns false as dl_insert does.
local function dl_insert_packed(dl_id, first, at, expires, job_id, queue, job, payload, attempts, now, batch, shared)
  local key = dkey(dl_id)
  if redis.call('EXISTS', key) == 1 then return false end
  -- Format 4: the job's own `dl` field (written by the caller) is the entry's job link while the
  -- job exists (remove-jobs.lua writes it to {p}:dl:job before deleting the job), and the job's
  -- fence already lets one failure per job through: no HSETNX into the store-wide link hash, whose
  -- look-up in a hash of every dead-lettered job is most of what a link costs.
  if store_format() < 4 then
    local links = batch.job_links
    if not links then links = B .. 'dl:job'; batch.job_links = links end
    if redis.call('HSETNX', links, job_id, dl_id) == 0 then return false end
  end
  local status, replay_count, max_replays = 'pending', nil, shared.meta.maxReplays
  if job.replay_of then
    local ledger = redis.call('HMGET', dkey(job.replay_of), 'replayCount', 'maxReplays')
    if ledger[2] then
      local rc, mr = num(ledger[1], 0), num(ledger[2], 0)
      replay_count, max_replays = int(rc), int(mr)
      if rc >= mr then status = 'requires_review' end
    end
  end
  local seq = dl_batch_seq(batch)
  -- As dl_insert's member, its first 15 digits formatted once per ten entries.
  local order = 1000000000000000 - seq
  local last = order % 10
  local tens = (order - last) / 10
  if batch.member_tens ~= tens then batch.member_tens, batch.member_prefix = tens, string.format('%015d', tens) end
  local member = batch.member_prefix .. DIGITS[last + 1] .. dl_id
  if batch.now ~= now then batch.now, batch.now_s = now, num_text(now) end
  -- One argument table for the batch's entries, written over (a table per entry costs its
  -- allocation, its growth past 16 slots and its collection).
  local args = batch.entry_args
  if not args then args = {}; batch.entry_args = args end
  args[1] = 'member'; args[2] = member; args[3] = 'updatedAt'; args[4] = batch.now_s
  args[5] = 'status'; args[6] = status; args[7] = 'queue'; args[8] = queue
  args[9] = 'jobId'; args[10] = job_id; args[11] = 'deadLetteredAt'; args[12] = at
  local n
  if store_format() >= 5 then
    -- Format 5: the block's packed properties are the field `xs`, the same string for every
    -- entry of the block (made once per block and script call), and `x` holds only the entry's
    -- own: a Lua string is hashed over all its bytes when it is made, and below format 5 `x`
    -- joined the block's stack into every entry. (The own ones as three fields cost the server
    -- more than this short join.)
    local xs = shared.xs
    if not xs then xs = '{' .. (shared.packed or '') .. '}'; shared.xs = xs end
    args[13] = 'xs'; args[14] = xs
    args[15] = 'x'; args[16] = '{"firstFailedAt":' .. first
      .. ',"jobName":' .. (job.name_json or jstr(job.name)) .. ',"attempts":' .. attempts .. '}'
    n = 16
  else
    local packed = shared.packed or ''
    args[13] = 'x'
    args[14] = '{' .. packed .. (packed == '' and '' or ',') .. '"firstFailedAt":' .. first
      .. ',"jobName":' .. (job.name_json or jstr(job.name)) .. ',"attempts":' .. attempts .. '}'
    n = 14
  end
  -- From format 4 an entry without `seq` (this layout's) counts as counted (dl_meta).
  if store_format() < 4 then args[15] = 'counted'; args[16] = '1'; n = 16 end
  local s = shared.stored
  for i = 1, #s do args[n + i] = s[i] end
  n = n + #s
  if payload then args[n + 1] = 'payload'; args[n + 2] = payload; n = n + 2 end
  if expires then args[n + 1] = 'expiresAt'; args[n + 2] = expires; n = n + 2 end
  if job.replay_of then
    -- After the block's maxReplays: the chain's ledger wins.
    args[n + 1] = 'replayOf'; args[n + 2] = job.replay_of
    n = n + 2
    if replay_count then
      args[n + 1] = 'replayCount'; args[n + 2] = replay_count
      args[n + 3] = 'maxReplays'; args[n + 4] = max_replays
      n = n + 4
    end
  end
  redis.call('HSET', key, unpack(args, 1, n))
  -- The index writes of dl_batch_index, through the block's sink for this queue and status.
  local sink = dl_sink(batch, shared, queue, status)
  local at_n = tonumber(at)
  local np = sink.np
  sink.pairs[np + 1] = at; sink.pairs[np + 2] = member
  sink.np = np + 2
  if expires then
    local ne = sink.ne
    sink.expiry[ne + 1] = expires; sink.expiry[ne + 2] = dl_id
    sink.ne = ne + 2
  end
  sink.n = sink.n + 1
  if status == 'pending' then
    -- The block's budget as a number once (replay_count is set only with the chain's own budget).
    local budget = max_replays
    if not replay_count then
      budget = shared.max_replays_n
      if not budget then budget = num(max_replays, 0); shared.max_replays_n = budget end
    end
    if num(replay_count, 0) >= num(budget, 0) then dl_batch_sadd(batch, B .. 'dl:atcap', dl_id) end
  end
  local seen = sink.seen
  if at_n < seen.first then seen.first = at_n end
  if at_n >= seen.last then seen.last = at_n; seen.last_id = dl_id end
  return true
end
