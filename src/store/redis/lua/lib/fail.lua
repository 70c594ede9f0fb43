-- lib/fail.lua: fenced failure of a batch of jobs. Needs lib/common.lua, lib/jobs.lua,
-- lib/dead-letters.lua, lib/dead-letters-packed.lua.
--
-- The failures' arguments (failure-args.ts) start with K, the number of shared field blocks, and
-- the K blocks, each M and M field/value pairs: dead-letter fields that several failures of the
-- batch share (a storm's error, stack and hints), sent once. Then each failure: id, token, attempt
-- record (JSON, as a list of that one record: a job's first attempt list is the argument itself,
-- no string made), its signature (duplicate detection), outcome 'retry' | 'rate_limited' |
-- 'dead_letter', then for a retry or pause its runAt (caller's clock: 6 arguments), for a dead
-- letter its id, the redacted payload JSON ('' = copy the job's payload as it is), the number of
-- its block (1..K), and its own fields by position: firstFailedAt, deadLetteredAt and expiresAt
-- ('' = none) (11 arguments). A dead letter's fields are its block's, then its own.

-- A job's fixed attributes (field `d`, JSON) that its dead letter copies: { name, name_json (its
-- JSON text), replay_of }, decoded once per distinct text and script call (a storm's jobs mostly
-- share theirs).
local fixed_seen = {}
local function job_fixed(d_text)
  local j = fixed_seen[d_text]
  if not j then
    local d = cjson.decode(d_text)
    local name, replay_of = d[1], d[7]
    if name == cjson.null then name = nil end
    if replay_of == cjson.null then replay_of = nil end
    j = { name = name, name_json = jstr(name), replay_of = replay_of }
    fixed_seen[d_text] = j
  end
  return j
end

-- The small counts of a failure's arguments (its block number) as numbers: a table look-up instead
-- of tonumber, which parses through strtod.
local SMALL_COUNTS = { ['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5, ['6'] = 6 }
local function count_arg(text)
  return SMALL_COUNTS[text] or tonumber(text)
end

-- A retry's due time from its argument (caller's clock) and its texts: the last one seen is kept,
-- so the retries of a batch that share a due time (zero or one backoff, failed in the same
-- millisecond) parse and format it once. `score` is its wait score's text for priority `priority`.
local last_due = {}
local function due_of(text, offset)
  local d = last_due
  if d.arg ~= text then
    local n = tonumber(text) + offset
    local s = num_text(n)
    d.arg, d.n, d.text, d.priority, d.score = text, n, s, nil, nil
    -- The field as int() writes it; the same text for a whole number of milliseconds.
    if n == math.floor(n) and n > -1e15 and n < 1e15 then d.int = s else d.int = int(n) end
  end
  return d
end

-- A small count as decimal text, formatted once per value and script call (see num_text).
local small_texts = {}
local function small_text(n)
  local t = small_texts[n]
  if not t then t = num_text(n); small_texts[n] = t end
  return t
end

-- Applies one failure whose arguments start at ARGV[a]: records the attempt of an active job whose
-- token is current and applies the outcome. Returns the outcome ('retried', 'dead_lettered',
-- 'duplicate', 'stale_token', 'not_active', 'not_found', or { 'dead_lettered_to_kept_entry', id }
-- when the job keeps an entry stored before, id '' for none) and the index of the next failure.
-- Index changes go to `batch` (see batch_add), those of dead letters to `dl_batch` (see
-- dl_batch_new), and queues to wake to `woken`.
local function fail_one(a, now, texts, offset, blocks, batch, woken, dl_batch)
  local id, token, attempt, sig, kind = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local dead = kind == 'dead_letter'
  local next_a = dead and a + 11 or a + 6
  local k = jkey(id)
  -- Only the fields the outcome uses: a dead letter copies the job's attributes and payload, a
  -- retry reads its counters and where it waits (every field read costs the server a lookup and
  -- a string for the script).
  -- The last attempt's signature (`la`) is read only for a job that is no longer active (a resend).
  local f
  if dead then
    f = redis.call('HMGET', k, 's', 'tk', 'at', 'am', 'q', 'd', 'p', 'dlo')
  else
    f = redis.call('HMGET', k, 's', 'tk', 'at', 'am', 'q', 'rl', 'pr', 'sus')
  end
  local state = f[1]
  -- No q: no job (see delete_job_remnant in lib/jobs.lua).
  if not state or not f[5] then return 'not_found', next_a end
  if f[2] ~= token then return 'stale_token', next_a end
  if state ~= 'active' then
    -- A resend of the failure this token recorded (still the job's last attempt) is a duplicate.
    local landed
    if dead then landed = state == 'dead_lettered' else landed = state == 'scheduled' or state == 'waiting' end
    if landed and redis.call('HGET', k, 'la') == sig then return 'duplicate', next_a end
    return 'not_active', next_a
  end

  local queue = f[5]
  local attempts = append_attempt_list(f[3], attempt)
  local spent = kind == 'rate_limited' and 0 or 1
  local made = num(f[4], 0) + spent
  batch_add(batch, queue, 'zrem:active', id)

  if dead then
    local dl_id = ARGV[a + 5]
    local shared = blocks[count_arg(ARGV[a + 7])]
    local payload = nz(ARGV[a + 6]) or f[7]
    local j = job_fixed(f[6])
    local first, at, expires = ARGV[a + 8], ARGV[a + 9], nz(ARGV[a + 10])
    local stored_first = nz(f[8])
    -- The id of the entry kept for the job when it is not the one sent ('' for none).
    local kept
    if stored_first and redis.call('EXISTS', dkey(stored_first)) == 1 then
      -- An entry stored for this job before it failed (imported, recorded by hand; see
      -- insert-dead-letters.lua) stays the job's one dead letter, as {p}:dl:job keeps it below
      -- format 4 and a unique job id in the SQL stores.
      kept = stored_first
    else
      local inserted
      if shared and not OUTBOX and store_format() >= 2 then
        inserted = dl_insert_packed(dl_id, first, at, expires, id, queue, j, payload, attempts, now, dl_batch, shared)
      else
        -- Format 1 and the outbox keep the id as a field (the packed layout takes it from `member`).
        local fields = { 'id', dl_id, 'firstFailedAt', first, 'deadLetteredAt', at }
        if expires then fields[7] = 'expiresAt'; fields[8] = expires end
        inserted = dl_insert_from_job(dl_id, fields, id, { queue = queue, name = j.name, replay_of = j.replay_of },
          payload, attempts, now, dl_batch, shared)
      end
      -- Refused: the job's link (below format 4) names the entry kept for it; an id that was
      -- another job's leaves the job without one.
      if not inserted then kept = redis.call('HGET', B .. 'dl:job', id) or '' end
    end
    if kept then dl_id = kept end
    -- The lease expiry stays (read only while the job is active), as a completion leaves it.
    redis.call('HSET', k, 's', 'dead_lettered', 'fa', texts.now_int, 'am', small_text(made), 'at', attempts, 'la', sig, 'dl', dl_id)
    if store_format() >= 4 then
      local by_queue = dl_batch.dead_jobs
      if not by_queue then by_queue = {}; dl_batch.dead_jobs = by_queue end
      local ids = by_queue[queue]
      if not ids then ids = {}; by_queue[queue] = ids end
      ids[#ids + 1] = id
    else
      batch_add(batch, queue, 'zadd:dead', texts.now, id)
    end
    if kept then return { 'dead_lettered_to_kept_entry', kept }, next_a end
    return 'dead_lettered', next_a
  end

  local due = due_of(ARGV[a + 5], offset)
  local run_at = due.n
  local next_state = run_at <= now and 'waiting' or 'scheduled'
  local run_at_s = due.text
  redis.call('HSET', k, 's', next_state, 'ra', due.int, 'am', small_text(made), 'rl', small_text(num(f[6], 0) + (1 - spent)),
    'at', attempts, 'la', sig, 'w', '')
  if next_state == 'waiting' then
    local priority = f[7] or ''
    local score = due.score
    if due.priority ~= priority then
      score = num_text(wait_score(tonumber(f[7]), run_at))
      due.priority, due.score = priority, score
    end
    batch_add(batch, queue, 'zadd:wait', score, pad(id))
    -- A suspect retried straight to waiting must stay findable by a quarantine claim.
    if f[8] == '1' then batch_add(batch, queue, 'zadd:suspects', score, pad(id)) end
    woken[queue] = true
  else
    batch_add(batch, queue, 'zadd:sched', run_at_s, id)
  end
  return 'retried', next_a
end

-- Applies `n` failures whose arguments (blocks first) start at ARGV[first], in order; returns one
-- outcome per failure, or the single string 'all_ok' when each was applied as asked (every dead
-- letter 'dead_lettered', every retry 'retried': a storm's reply is one string, not one per job).
local function fail_many(first, n, now, offset)
  local out, batch, woken, dl_batch = {}, batch_new(), {}, dl_batch_new()
  local blocks, a = {}, first + 1
  for k = 1, tonumber(ARGV[first]) do
    local m, block = tonumber(ARGV[a]), {}
    for i = 1, m * 2 do block[i] = ARGV[a + i] end
    blocks[k] = dl_shared(block)
    a = a + 1 + m * 2
  end
  -- `now` as text once per batch (see num_text).
  local texts = { now = num_text(now), now_int = int(now) }
  local all_ok = true
  for i = 1, n do
    local outcome
    outcome, a = fail_one(a, now, texts, offset, blocks, batch, woken, dl_batch)
    out[i] = outcome
    if all_ok and outcome ~= 'dead_lettered' and outcome ~= 'retried' then all_ok = false end
  end
  batch_apply(batch)
  if dl_batch.dead_jobs then
    for queue, ids in pairs(dl_batch.dead_jobs) do dead_add(queue, texts.now, ids) end
  end
  dl_batch_apply(dl_batch)
  for queue in pairs(woken) do notify(queue) end
  if all_ok and n > 0 then return 'all_ok' end
  return out
end
