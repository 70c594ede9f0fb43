-- lib/dead-letters.lua: dead-letter keys, index maintenance, insert and audit. Needs lib/common.lua.
-- The search indexes (declared JSON paths, message words) are in lib/dead-letter-index.lua.
--!include lib/dead-letter-index.lua
--
-- A dead letter is a hash at {p}:dl:e:<id> whose fields are the DeadLetter properties (absent =
-- null; JSON-valued ones as JSON text), plus `seq` (insertion order) and `member` (its member in
-- the time-ordered indexes: 16 digits of 1e15 - seq, then the id, so that among equal times the
-- newest-first order lists the earlier insert first), and `counted` ('1' once the entry is in the
-- per-fingerprint counters {p}:dl:g; entries stored before those counters existed lack it until
-- count-dead-letters.lua counts them; an entry without `seq`, the layout of
-- lib/dead-letters-packed.lua, is counted whether it has the field or not).

-- A number as the decimal text Redis would store for it: integers through '%d' (a Lua number
-- turned into a string goes through '%.14g', the costliest step of a small script), others as Lua
-- writes them.
local function num_text(n)
  if n == math.floor(n) and n > -1e15 and n < 1e15 then return string.format('%d', n) end
  return tostring(n)
end

local function dkey(id)
  return B .. 'dl:e:' .. id
end

local function cell_key(status, domain)
  return B .. 'dl:c:' .. status .. ':' .. domain
end

local META = {
  'status', 'domain', 'queue', 'fingerprint', 'deadLetteredAt', 'member', 'expiresAt', 'updatedAt',
  'replayStartedAt', 'replayCount', 'maxReplays', 'generation', 'jobId', 'failureType', 'counted', 'seq',
}

-- The fields that indexes and guards need, as a table (numbers converted).
local function dl_meta(id)
  local f = redis.call('HMGET', dkey(id), unpack(META))
  if not f[1] then return nil end
  return {
    id = id, status = f[1], domain = f[2], queue = nz(f[3]), fingerprint = f[4],
    at = tonumber(f[5]), member = f[6], expiresAt = num(f[7], nil), updatedAt = num(f[8], 0),
    replayStartedAt = num(f[9], nil), replayCount = num(f[10], 0), maxReplays = num(f[11], 0),
    generation = num(f[12], 1), jobId = nz(f[13]), failureType = f[14] or '',
    -- An entry without `seq` was written by lib/dead-letters-packed.lua, which has counted every
    -- entry since it exists (it writes `counted` only below format 4).
    counted = f[15] == '1' or not f[16],
  }
end

-- Drops `id` from the sweep index `key` when its entry hash is gone (evicted under an allkeys-*
-- maxmemory policy, or deleted by hand): no sweep can change such an entry, so left there it would
-- be read by every sweep and, with `limit` of them first, hide every live entry behind them. An
-- entry that exists, whatever its fields, stays indexed.
local function dl_drop_vanished(key, id)
  if redis.call('EXISTS', dkey(id)) == 0 then redis.call('ZREM', key, id) end
end

-- The entry's per-fingerprint counter cell in {p}:dl:g: fingerprint, status, domain, queue and
-- failure type, NUL-separated (top failures sum these cells; no scan).
local function group_cell(m)
  return m.fingerprint .. '\0' .. m.status .. '\0' .. m.domain .. '\0' .. (m.queue or '') .. '\0' .. m.failureType
end

-- Adds (sign 1) or removes (sign -1) the entry's count in its counter cell. An entry that is not
-- counted yet (stored before the counters) is not subtracted; adding marks it counted, so no
-- entry is ever counted twice, whichever of a change or the backfill reaches it first.
local function group_count(m, sign)
  if not m.counted then
    if sign < 0 then return end
    redis.call('HSET', dkey(m.id), 'counted', '1')
    m.counted = true
  end
  redis.call('HINCRBY', B .. 'dl:g', group_cell(m), sign)
end

-- Adds (sign 1) or removes (sign -1) the entry's status-dependent index entries and counts.
-- Every state change, regroup and purge goes through here, so the counters follow each one.
local function dl_status_index(m, sign)
  group_count(m, sign)
  local cell = cell_key(m.status, m.domain)
  if sign > 0 then redis.call('ZADD', cell, m.at, m.member) else redis.call('ZREM', cell, m.member) end
  redis.call('HINCRBY', B .. 'dl:counts', m.status .. ':' .. m.domain, sign)
  local open = m.status == 'pending' or m.status == 'requires_review'
  if open and m.expiresAt then
    if sign > 0 then redis.call('ZADD', B .. 'dl:expiry', m.expiresAt, m.id)
    else redis.call('ZREM', B .. 'dl:expiry', m.id) end
  end
  local function scored(key, cond, score)
    if not cond then return end
    if sign > 0 then redis.call('ZADD', key, score, m.id) else redis.call('ZREM', key, m.id) end
  end
  scored(B .. 'dl:closed', m.status == 'resolved' or m.status == 'expired', m.updatedAt)
  scored(B .. 'dl:archived', m.status == 'archived', m.updatedAt)
  scored(B .. 'dl:replaying', m.status == 'replaying', m.replayStartedAt or 0)
  if m.status == 'pending' and m.replayCount >= m.maxReplays then
    if sign > 0 then redis.call('SADD', B .. 'dl:atcap', m.id) else redis.call('SREM', B .. 'dl:atcap', m.id) end
  end
end

-- Indexes that do not depend on the status (added on insert, removed on purge).
local function dl_identity_index(m, sign)
  local function z(key)
    if sign > 0 then redis.call('ZADD', key, m.at, m.member) else redis.call('ZREM', key, m.member) end
  end
  z(B .. 'dl:t')
  if m.queue then z(B .. 'dl:q:' .. m.queue) end
  z(B .. 'dl:f:' .. m.fingerprint)
  if m.jobId then
    if sign > 0 then redis.call('HSET', B .. 'dl:job', m.jobId, m.id)
    elseif redis.call('HGET', B .. 'dl:job', m.jobId) == m.id then redis.call('HDEL', B .. 'dl:job', m.jobId) end
  end
  if sign > 0 then redis.call('SADD', B .. 'dl:domains', m.domain) end
end

-- Whether the job's own `dl` field names a stored dead letter: from format 4 a failing job's dead
-- letter is linked to it only there while the job exists (see lib/dead-letters-packed.lua; a store
-- below 4 has every link in {p}:dl:job).
local function dl_job_linked(job_id)
  if store_format() < 4 then return false end
  local own = redis.call('HGET', B .. 'j:' .. job_id, 'dl')
  return own ~= false and own ~= '' and redis.call('EXISTS', dkey(own)) == 1
end

-- Whether a record with this id, or for this job, exists already (inserts leave it as it is).
local function dl_exists(id, job_id)
  if redis.call('EXISTS', dkey(id)) == 1 then return true end
  return job_id ~= nil and (redis.call('HEXISTS', B .. 'dl:job', job_id) == 1 or dl_job_linked(job_id))
end

-- Records a fingerprint's identity (kept from its first entry: JSON {c, m, f} made by the
-- caller) and its sightings: first and last dead-letter time, latest entry.
local function group_seen(m, identity)
  local fp = m.fingerprint
  if identity then redis.call('HSETNX', B .. 'dl:fp:id', fp, identity) end
  local first = tonumber(redis.call('HGET', B .. 'dl:fp:first', fp))
  if not first or m.at < first then redis.call('HSET', B .. 'dl:fp:first', fp, m.at) end
  local last = redis.call('HGET', B .. 'dl:fp:last', fp)
  local last_at = last and tonumber(string.match(last, '^(%d+)'))
  if not last_at or m.at >= last_at then redis.call('HSET', B .. 'dl:fp:last', fp, int(m.at) .. ':' .. m.id) end
end

-- A batch of dead-letter inserts: the per-entry writes (the entry's hash, its job link) happen at
-- once, the shared ones are gathered here and written by dl_batch_apply at the end of the script,
-- one command per key instead of one per entry: sorted-set members per index, counter increments
-- summed per cell, the sequence number and each fingerprint's sightings. A failure storm inserts
-- many entries of the same queue, fingerprint and cell, so a batch of 50 costs a handful of index
-- writes.
local function dl_batch_new()
  return { zadd = {}, sadd = {}, incr = {}, seen = {}, seq = nil, seq_start = nil }
end

local function dl_batch_zadd(batch, key, score, member)
  local list = batch.zadd[key]
  if not list then list = {}; batch.zadd[key] = list end
  list[#list + 1] = score
  list[#list + 1] = member
end

local function dl_batch_sadd(batch, key, member)
  local set = batch.sadd[key]
  if not set then set = {}; batch.sadd[key] = set end
  set[member] = true
end

local function dl_batch_incr(batch, key, field, by)
  local cells = batch.incr[key]
  if not cells then cells = {}; batch.incr[key] = cells end
  cells[field] = (cells[field] or 0) + by
end

-- The next insertion sequence number (read once per batch, written back by dl_batch_apply).
local function dl_batch_seq(batch)
  if not batch.seq then
    local seq = redis.call('GET', B .. 'dl:seq')
    if not seq then dlx.first_insert() end
    batch.seq = tonumber(seq or '0')
    batch.seq_start = batch.seq
  end
  batch.seq = batch.seq + 1
  return batch.seq
end

-- Writes what the batch gathered (see dl_batch_new).
local function dl_batch_apply(batch)
  if batch.sinks then
    for _, sink in ipairs(batch.sinks) do
      if sink.n > 0 then
        dl_batch_incr(batch, B .. 'dl:g', sink.group, sink.n)
        dl_batch_incr(batch, B .. 'dl:counts', sink.count, sink.n)
        sink.n = 0
      end
      if sink.np > 0 then
        for _, key in ipairs(sink.keys) do call_many('ZADD', key, sink.pairs) end
        local queued = batch.dlq_lists
        if not queued then queued = {}; batch.dlq_lists = queued end
        queued[#queued + 1] = sink.pairs
        sink.pairs, sink.np = {}, 0
      end
      if sink.ne > 0 then
        call_many('ZADD', B .. 'dl:expiry', sink.expiry)
        sink.expiry, sink.ne = {}, 0
      end
    end
  end
  dlx.apply(batch)
  dlx.apply_queue(batch)
  if batch.seq and batch.seq ~= batch.seq_start then redis.call('SET', B .. 'dl:seq', batch.seq) end
  for key, list in pairs(batch.zadd) do call_many('ZADD', key, list) end
  for key, set in pairs(batch.sadd) do
    local members = {}
    for member in pairs(set) do members[#members + 1] = member end
    call_many('SADD', key, members)
  end
  for key, cells in pairs(batch.incr) do
    for field, by in pairs(cells) do
      if by ~= 0 then redis.call('HINCRBY', key, field, by) end
    end
  end
  for fp, s in pairs(batch.seen) do
    if s.identity then redis.call('HSETNX', B .. 'dl:fp:id', fp, s.identity) end
    local first = tonumber(redis.call('HGET', B .. 'dl:fp:first', fp))
    if not first or s.first < first then redis.call('HSET', B .. 'dl:fp:first', fp, s.first) end
    local last = redis.call('HGET', B .. 'dl:fp:last', fp)
    local last_at = last and tonumber(string.match(last, '^(%d+)'))
    if not last_at or s.last >= last_at then redis.call('HSET', B .. 'dl:fp:last', fp, int(s.last) .. ':' .. s.last_id) end
  end
end

-- A new entry's index entries and counts (dl_identity_index and dl_status_index with sign 1,
-- gathered in the batch), and its fingerprint sighting (group_seen, summed per fingerprint).
-- Scores go in as the insert's own decimal text (at_s, expires_s): a Lua number turned into a
-- string goes through '%.14g', several times the cost of the sorted-set insert itself.
local function dl_batch_index(batch, m, identity)
  local at = m.at_s or m.at
  dl_batch_zadd(batch, B .. 'dl:t', at, m.member)
  if m.queue then dl_batch_zadd(batch, B .. 'dl:q:' .. m.queue, at, m.member) end
  dl_batch_zadd(batch, B .. 'dl:f:' .. m.fingerprint, at, m.member)
  dl_batch_sadd(batch, B .. 'dl:domains', m.domain)
  dl_batch_incr(batch, B .. 'dl:g', group_cell(m), 1)
  dl_batch_zadd(batch, cell_key(m.status, m.domain), at, m.member)
  dl_batch_incr(batch, B .. 'dl:counts', m.status .. ':' .. m.domain, 1)
  local open = m.status == 'pending' or m.status == 'requires_review'
  if open and m.expiresAt then dl_batch_zadd(batch, B .. 'dl:expiry', m.expires_s or m.expiresAt, m.id) end
  if m.status == 'resolved' or m.status == 'expired' then dl_batch_zadd(batch, B .. 'dl:closed', m.updatedAt, m.id) end
  if m.status == 'archived' then dl_batch_zadd(batch, B .. 'dl:archived', m.updatedAt, m.id) end
  if m.status == 'replaying' then dl_batch_zadd(batch, B .. 'dl:replaying', m.replayStartedAt or 0, m.id) end
  if m.status == 'pending' and m.replayCount >= m.maxReplays then dl_batch_sadd(batch, B .. 'dl:atcap', m.id) end
  local s = batch.seen[m.fingerprint]
  if not s then
    batch.seen[m.fingerprint] = { identity = identity, first = m.at, last = m.at, last_id = m.id }
  else
    if not s.identity then s.identity = identity end
    if m.at < s.first then s.first = m.at end
    if m.at >= s.last then s.last = m.at; s.last_id = m.id end
  end
end

-- The fields dl_meta reads, taken from an insert's field list instead of read back.
local INSERT_META = {
  status = true, domain = true, queue = true, fingerprint = true, deadLetteredAt = true, expiresAt = true,
  replayStartedAt = true, replayCount = true, maxReplays = true, jobId = true, failureType = true,
}
-- Set by the insert itself (a caller's value is not stored).
local INSERT_OWN = { seq = true, member = true, generation = true, updatedAt = true, counted = true }

-- Appends to `list` the properties packed in `packed` (JSON object members without the braces, see
-- `~x` below) as separate field/value pairs: numbers in decimal, strings as they are.
local function dl_unpack_into(list, packed)
  if not packed or packed == '' then return end
  for name, value in pairs(cjson.decode('{' .. packed .. '}')) do
    if value ~= cjson.null then
      list[#list + 1] = name
      if type(value) == 'number' then list[#list + 1] = num_text(value) else list[#list + 1] = value end
    end
  end
end

-- Field/value pairs that several inserts of a script share (a failure batch's block, see
-- lib/fail.lua), sorted once: { raw = the pairs, stored = those the entry stores as fields in
-- every format, meta = the INSERT_META among them, identity = `~group`, packed = `~x` (the rarely
-- read properties as JSON object members without the braces: separate fields in format 1, part
-- of the field `x` in format 2) }. `all` (dl_shared_fields) adds the packed ones as fields.
local function dl_shared(raw)
  local stored, meta, identity, packed = {}, {}, nil, nil
  for i = 1, #raw, 2 do
    local name, value = raw[i], raw[i + 1]
    if name == '~group' then identity = value
    elseif name == '~x' then packed = value
    elseif not INSERT_OWN[name] then
      stored[#stored + 1] = name; stored[#stored + 1] = value
      if INSERT_META[name] then meta[name] = value end
    end
  end
  return { raw = raw, stored = stored, meta = meta, identity = identity, packed = packed }
end

-- A block's fields as format 1 stores them (every property a field), built once per block.
local function dl_shared_fields(shared)
  if not shared.all then
    local all = {}
    for i = 1, #shared.stored do all[i] = shared.stored[i] end
    dl_unpack_into(all, shared.packed)
    shared.all = all
  end
  return shared.all
end

-- Inserts a dead letter from field/value pairs (every non-null property; `status`,
-- `replayCount` and `maxReplays` included; `~group` carries the group identity and is not
-- stored on the entry), those of `shared` (dl_shared; optional) first, with its shared index
-- writes gathered in `batch` (dl_batch_apply writes them). Returns false when a record with this
-- id, or for this job, existed already.
local function dl_insert(id, job_id, fields, now, batch, shared)
  if redis.call('EXISTS', dkey(id)) == 1 then return false end
  -- Claims the job's link first: a second record for the same job (in this batch too) is refused.
  if job_id and (dl_job_linked(job_id) or redis.call('HSETNX', B .. 'dl:job', job_id, id) == 0) then return false end
  local seq = dl_batch_seq(batch)
  local member = string.format('%016d', 1000000000000000 - seq) .. id
  if batch.now ~= now then batch.now, batch.now_s = now, num_text(now) end
  local identity, stored, f, n = nil, {}, {}, 0
  if shared then
    identity = shared.identity
    local pairs_ = dl_shared_fields(shared)
    n = #pairs_
    for i = 1, n do stored[i] = pairs_[i] end
    for name, value in pairs(shared.meta) do f[name] = value end
  end
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if name == '~group' then identity = value
    elseif name == '~x' then
      -- A block's packed properties carried by an outbox record (dl_insert_from_job).
      dl_unpack_into(stored, value)
      n = #stored
    elseif not INSERT_OWN[name] then
      stored[n + 1] = name; stored[n + 2] = value
      n = n + 2
      if INSERT_META[name] then f[name] = value end
    end
  end
  local n = #stored
  stored[n + 1] = 'seq'; stored[n + 2] = num_text(seq)
  stored[n + 3] = 'member'; stored[n + 4] = member
  stored[n + 5] = 'generation'; stored[n + 6] = '1'
  stored[n + 7] = 'updatedAt'; stored[n + 8] = batch.now_s
  stored[n + 9] = 'counted'; stored[n + 10] = '1'
  call_many('HSET', dkey(id), stored)
  dl_batch_index(batch, {
    id = id, status = f.status, domain = f.domain, queue = nz(f.queue), fingerprint = f.fingerprint,
    at = tonumber(f.deadLetteredAt), at_s = f.deadLetteredAt, member = member,
    expiresAt = num(f.expiresAt, nil), expires_s = f.expiresAt, updatedAt = now,
    replayStartedAt = num(f.replayStartedAt, nil), replayCount = num(f.replayCount, 0),
    maxReplays = num(f.maxReplays, 0), jobId = nz(f.jobId), failureType = f.failureType or '',
  }, identity)
  dlx.defer(batch, f.deadLetteredAt, member)
  return true
end

-- Sets fields (a flat name/value list; value false = delete the field) and re-indexes.
local function dl_update(m, changes)
  dl_status_index(m, -1)
  local set, del = {}, {}
  for i = 1, #changes, 2 do
    if changes[i + 1] == false then del[#del + 1] = changes[i]
    else set[#set + 1] = changes[i]; set[#set + 1] = changes[i + 1] end
  end
  local key = dkey(m.id)
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #del > 0 then redis.call('HDEL', key, unpack(del)) end
  local after = dl_meta(m.id)
  dl_status_index(after, 1)
  return after
end

-- Appends an audit entry. `input` is decoded JSON {action, actor, reason?, ticket?, details?
-- (JSON text)}; before/after are dl_meta tables or nil. Returns the sequence number.
local function audit_append(dead_letter_id, action, actor, reason, ticket, details_json, at, before, after)
  local seq = redis.call('INCR', B .. 'audit:seq')
  local entry = '{"deadLetterId":' .. jstr(dead_letter_id)
    .. ',"action":' .. jstr(action) .. ',"actor":' .. jstr(actor)
    .. ',"reason":' .. jstr(reason) .. ',"ticket":' .. jstr(ticket)
    .. ',"at":' .. int(at)
    .. ',"beforeStatus":' .. jstr(before and before.status)
    .. ',"afterStatus":' .. jstr(after and after.status)
    .. ',"beforeGeneration":' .. (before and int(before.generation) or 'null')
    .. ',"afterGeneration":' .. (after and int(after.generation) or 'null')
    .. ',"details":' .. (nz(details_json) or '{}') .. '}'
  redis.call('HSET', B .. 'audit:e', seq, entry)
  redis.call('ZADD', B .. 'audit:all', seq, seq)
  if dead_letter_id then redis.call('ZADD', B .. 'audit:dl:' .. dead_letter_id, seq, seq) end
  return seq
end

-- Writes the audit entry of a single-entry change when the caller asked for one (`audit_json`
-- is JSON {action, actor, reason, ticket, details} or '').
local function audit_change(audit_json, id, before, after, now)
  if not nz(audit_json) then return end
  local a = cjson.decode(audit_json)
  local function s(v) if v == nil or v == cjson.null then return nil end return v end
  audit_append(id, a.action, a.actor, s(a.reason), s(a.ticket), s(a.details), now, before, after)
end

-- A queue slot's key base (QueueSlotRedisStore; see keys.ts) ends in '.': there a failing job's
-- dead letter cannot reach the store's dead-letter keys (another slot), so it is written to the
-- slot's outbox, {p#n}.dl:out, and moved by move-dead-letters.lua (dl_insert_moved) afterwards.
local OUTBOX = string.sub(B, -1) == '.'

-- Inserts a failing job's dead letter from its properties (`all`, jobId not yet among them), its
-- shared index writes gathered in `batch`. A job that replays an earlier dead letter carries that
-- entry's replay ledger over, and lands in requires_review when the budget is spent.
local function dl_insert_moved(dl_id, job_id, replay_of, all, now, batch, shared)
  local function put(k, v) if v then all[#all + 1] = k; all[#all + 1] = v end end
  put('jobId', job_id)
  local status = 'pending'
  if replay_of then
    put('replayOf', replay_of)
    local ledger = redis.call('HMGET', dkey(replay_of), 'replayCount', 'maxReplays')
    if ledger[2] then
      local rc, mr = num(ledger[1], 0), num(ledger[2], 0)
      put('replayCount', int(rc))
      put('maxReplays', int(mr))
      if rc >= mr then status = 'requires_review' end
    end
  end
  put('status', status)
  return dl_insert(dl_id, job_id, all, now, batch, shared)
end

-- Creates the dead letter of a failing job (failJob, or a poison pill found by recovery). `fields`
-- are the caller's properties (a table of the caller's own: the job's fields are appended to it);
-- the job's queue, id, name, payload (or the caller's redacted copy), attempts and replay link are
-- added here (in a queue slot: to the outbox record).
local function dl_insert_from_job(dl_id, fields, job_id, job, payload, attempts, now, batch, shared)
  local all = fields
  if shared and OUTBOX then
    -- The outbox record carries every field (the move inserts it on its own).
    all = {}
    for i = 1, #shared.raw do all[i] = shared.raw[i] end
    for i = 1, #fields do all[#all + 1] = fields[i] end
    shared = nil
  end
  local function put(k, v) if v then all[#all + 1] = k; all[#all + 1] = v end end
  put('queue', job.queue)
  put('jobName', job.name)
  put('payload', payload)
  put('attempts', attempts)
  if OUTBOX then
    redis.call('HSET', B .. 'dl:out', dl_id, cjson.encode({ job_id, job.replay_of or '', int(now), all }))
    return true
  end
  return dl_insert_moved(dl_id, job_id, job.replay_of, all, now, batch, shared)
end
