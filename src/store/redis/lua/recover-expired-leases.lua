-- recover-expired-leases.lua: the second half of a recovery sweep. For each job read by
-- find-expired-leases.lua, if it is still active with the same token and its lease expired before
-- now: appends an 'orphaned' attempt saying how the job was held (orphaned_while, lib/jobs.lua),
-- and returns it to waiting (token and worker cleared, no attempt spent): a 'prefetched' job as it
-- was; a 'running' one as a suspect (also in the queue's suspects index); a 'quarantine' one with
-- its orphan count raised — or, when that reaches maxOrphans and the caller sent a poison-pill
-- dead letter for it, moved to the dead-letter queue with that record. As a failure's dead letter
-- (lib/fail.lua), one refused because the job has an entry already leaves that entry the job's:
-- the job links to it and the answer names it (neither names one when the id was another job's).
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] maxOrphans;  ARGV[5] N;
-- ARGV[6..] N groups: id, token, dead-letter id ('' = none), redacted payload ('' = the job's),
--          field count M, then M field/value pairs of the dead letter.
-- Returns  { recoveredIds, deadLettered, orphanedWhile } with deadLettered a list of
--          { jobId, deadLetterId } (the entry the job links to, '' for none) and orphanedWhile a
--          flat list of id, how-held pairs.
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/dead-letters.lua

local MESSAGES = {
  prefetched = 'the lease expired before the job started (its worker crashed, hung or lost its store)',
  running = 'the lease expired while the job ran beside others (its worker crashed, hung or lost its store); it runs alone next',
  quarantine = 'the lease expired while the job ran alone in quarantine (it crashed or hung its worker, or lost its store)',
}
local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local max_orphans = tonumber(ARGV[4])
local recovered, dead, held_as = {}, {}, {}
local touched, dl_batch = {}, dl_batch_new()
local a = 6
for _ = 1, tonumber(ARGV[5]) do
  local id, token, dl_id, payload, m = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])
  local fields = {}
  for i = 1, m * 2 do fields[i] = ARGV[a + 4 + i] end
  a = a + 5 + m * 2
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'tk', 'le', 'oc', 'am', 'sa', 'w', 'q', 'at', 'd', 'p', 'pr', 'ra',
    'qn', 'sq', 'sus', 'ws', 'dlo')
  -- No q or d: no job (a remnant an earlier release wrote since the read; see delete_job_remnant in
  -- lib/jobs.lua), left for the next sweep's read to drop.
  if f[1] == 'active' and f[2] == token and num(f[3], now) < now and f[8] and f[10] then
    local queue = f[8]
    local started, seq, worker = holder(f[17], f[6], f[15], f[7])
    local held = orphaned_while(f[14], seq, worker)
    local attempt = '{"attempt":' .. int(num(f[5], 0) + 1) .. ',"outcome":"orphaned","startedAt":'
      .. int(num(started, now)) .. ',"endedAt":' .. int(now) .. ',"workerId":' .. jstr(worker)
      .. ',"orphanedWhile":"' .. held .. '","message":' .. jstr(MESSAGES[held]) .. '}'
    local attempts = append_attempt(f[9], attempt)
    local orphans = num(f[4], 0)
    if held == 'quarantine' then orphans = orphans + 1 end
    redis.call('ZREM', qkey(queue, 'active'), id)
    if held == 'quarantine' and orphans >= max_orphans then
      if dl_id ~= '' then
        local stored_first = nz(f[18])
        if stored_first and redis.call('EXISTS', dkey(stored_first)) == 1 then
          -- An entry stored for this job before (see insert-dead-letters.lua) stays its one.
          dl_id = stored_first
        elseif not dl_insert_from_job(dl_id, fields, id,
            { queue = queue, name = fixed(f[10], 1), replay_of = fixed(f[10], 7) },
            nz(payload) or f[11], attempts, now, dl_batch) then
          -- Refused: the job's link (below format 4) names the entry kept for it; an id that was
          -- another job's leaves the job without one.
          dl_id = redis.call('HGET', B .. 'dl:job', id) or ''
        end
        redis.call('HSET', k, 's', 'dead_lettered', 'oc', orphans, 'at', attempts, 'la', 'orphaned',
          'fa', int(now), 'le', '', 'dl', dl_id)
        redis.call('ZADD', qkey(queue, 'dead'), now, id)
        dead[#dead + 1] = { id, dl_id }
        held_as[#held_as + 1] = id
        held_as[#held_as + 1] = held
      else
        -- Read as not yet a poison pill, so no record was built: leave it for the next sweep.
        redis.call('ZADD', qkey(queue, 'active'), f[3], id)
      end
    else
      local suspect = f[16]
      if held ~= 'prefetched' then suspect = '1' end
      redis.call('HSET', k, 's', 'waiting', 'oc', orphans, 'at', attempts, 'la', 'orphaned', 'le', '', 'w', '', 'tk', '',
        'sus', suspect or '', 'qn', '')
      local score = wait_score(tonumber(f[12]), tonumber(f[13]) or fixed(f[10], 8))
      redis.call('ZADD', qkey(queue, 'wait'), score, pad(id))
      if suspect == '1' then redis.call('ZADD', qkey(queue, 'suspects'), score, pad(id)) end
      recovered[#recovered + 1] = id
      held_as[#held_as + 1] = id
      held_as[#held_as + 1] = held
      touched[queue] = true
    end
  end
end
dl_batch_apply(dl_batch)
for queue in pairs(touched) do notify(queue) end
return { recovered, dead, held_as }
