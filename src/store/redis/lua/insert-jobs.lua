-- insert-jobs.lua: inserts a batch of jobs, honouring idempotency keys (per queue).
--
-- KEYS[1]  {p}:queues  (queue registry; every queue of the batch is registered)
-- KEYS[2]  {p}:ids     (job id counter)
-- ARGV[1]  key base `{p}:`;  ARGV[2] clock mode 'server' | 'caller';  ARGV[3] caller's now (ms)
-- ARGV[4]  'uniform': jobs that differ only in payload —
--            ARGV[5..8] queue, priority, runAt, head; ARGV[9] N; then N payloads.
--          'mixed': ARGV[5] N; then N groups of 6: queue, priority, runAt, head, payload,
--            idempotency key ('' = none, else '=' .. key, so that an empty key is still a key).
--          `head` is the job's fixed attributes as the start of a JSON array, `[name, priority,
--          maxAttempts, timeoutMs, backoff, idempotencyKey, replayOf,`; the script appends
--          createdAt and stores it as field d (see lib/jobs.lua). A job with headers has them in
--          `head` after a newline (JSON text never holds one raw): they go after createdAt.
-- Returns  'uniform': { firstId, N } (integers): every job created, ids firstId .. firstId + N - 1.
--          'mixed': { ids, outcomes }: ids[i] the job's id; outcomes[i] 'created', or 'existing'
--          when an idempotency key matched (the id is then the first job's).
-- Atomic with the other chunks of the same batch: the store sends several chunks in MULTI/EXEC.
--!include lib/common.lua
--!include lib/jobs.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local created_at = int(now) .. ']'
-- Format 3 (FORMAT_VERSIONS in keys.ts): a new job has no `pr` when its priority is normal (read as
-- 1) and no `ra` when it is due when created (read as createdAt, see lib/jobs.lua): each field
-- left out saves the server ~1.2k instructions per job, and a hash of at most four fields keeps
-- its first table size. Earlier formats write both, because releases before format 3 read them.
local compact = store_format() >= 3

-- Field d of a job from its head: head .. createdAt .. ']', or with headers (after a newline in
-- head) head .. createdAt .. ',' .. headers .. ']'.
local function field_d(head)
  local cut = string.find(head, '\n', 1, true)
  if not cut then return head .. created_at end
  return string.sub(head, 1, cut - 1) .. int(now) .. ',' .. string.sub(head, cut + 1) .. ']'
end
local ids, outcomes = {}, {}
local waits, scheds, all = batch_new(), batch_new(), batch_new()
local touched = {}

local function insert_one(queue, priority, run_at, head, payload, key, id)
  if key then
    local existing = redis.call('HGET', qkey(queue, 'ik'), key)
    -- A key whose job is gone (see delete_job_remnant in lib/jobs.lua) is free, as a removed job's.
    if existing and redis.call('HEXISTS', jkey(existing), 'd') == 1 then return existing, 'existing' end
    if existing then delete_job_remnant(jkey(existing)) end
  end
  local due = run_at + offset
  local state = 'scheduled'
  if due <= now then state = 'waiting' end
  local k = jkey(id)
  -- Before format 3, pr and ra are written for every job, the default priority too: the scripts of
  -- earlier versions read them as numbers, so a job without them would stop their claims, retries
  -- and lease recovery with a script error part-way through (Redis keeps the writes made before an
  -- error) while processes of both versions share a store during a rolling upgrade.
  local args = { 'HSET', k, 'q', queue, 'd', field_d(head), 'p', payload, 's', state }
  if not compact or priority ~= '1' then args[#args + 1] = 'pr'; args[#args + 1] = priority end
  if not compact or due ~= now then args[#args + 1] = 'ra'; args[#args + 1] = int(due) end
  redis.call(unpack(args))
  if key then
    redis.call('HSET', k, 'ik', key)
    redis.call('HSET', qkey(queue, 'ik'), key, id)
  end
  if state == 'waiting' then
    batch_add(waits, queue, 'zadd:wait', wait_score(tonumber(priority), due), pad(id))
  else
    batch_add(scheds, queue, 'zadd:sched', due, id)
  end
  batch_add(all, queue, 'zadd:ids', id, id)
  touched[queue] = true
  return id, 'created'
end

-- The common bulk case, kept to the fewest Lua steps per job: every job shares one hash layout,
-- one index and one score (so no per-job score or state), the listing index gets one run for the
-- batch (see lib/jobs.lua), and the reply is the first id and the count (the ids are
-- consecutive) instead of two lists of n strings. Numbers reach Redis as
-- strings made once: a Lua number argument is formatted with '%.14g' on every call; the ids are
-- made by decimals_from (one formatting per ten ids).
local function insert_uniform(queue, priority, run_at, head, n)
  local first = redis.call('INCRBY', KEYS[2], n) - n
  local due = run_at + offset
  local d, ra = field_d(head), int(due)
  local state, index, score, padded = 'scheduled', qkey(queue, 'sched'), ra, false
  if due <= now then
    state, index, score, padded = 'waiting', qkey(queue, 'wait'), int(wait_score(tonumber(priority), due)), true
  end
  local members = {}
  -- Each job's key is made by decimals_from with the key prefix (one string per job less).
  local prefix = jkey('')
  local next_key = decimals_from(first + 1, padded, prefix)
  local call = redis.call
  local with_pr, with_ra = not compact or priority ~= '1', not compact or due ~= now
  for i = 1, n do
    local key, padded_id = next_key()
    -- One call shape per layout, chosen for the batch (a table built per job costs more).
    if with_pr and with_ra then
      call('HSET', key, 'q', queue, 'd', d, 'p', ARGV[9 + i], 'pr', priority, 'ra', ra, 's', state)
    elseif with_ra then
      call('HSET', key, 'q', queue, 'd', d, 'p', ARGV[9 + i], 'ra', ra, 's', state)
    elseif with_pr then
      call('HSET', key, 'q', queue, 'd', d, 'p', ARGV[9 + i], 'pr', priority, 's', state)
    else
      call('HSET', key, 'q', queue, 'd', d, 'p', ARGV[9 + i], 's', state)
    end
    members[i * 2 - 1] = score
    members[i * 2] = padded_id or string.sub(key, #prefix + 1)
  end
  call_many('ZADD', index, members)
  ids_add_run(queue, first + 1, n)
  touched[queue] = true
  return first + 1
end

local mode = ARGV[4]
local reply
if mode == 'uniform' then
  local n = tonumber(ARGV[9])
  reply = { insert_uniform(ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], n), n }
else
  local n = tonumber(ARGV[5])
  local first = redis.call('INCRBY', KEYS[2], n) - n
  for i = 1, n do
    local a = 5 + (i - 1) * 6
    local key = ARGV[a + 6]
    if key == '' then key = nil else key = string.sub(key, 2) end
    ids[i], outcomes[i] = insert_one(ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4], ARGV[a + 5], key,
      int(first + i))
  end
  reply = { ids, outcomes }
end

batch_apply(waits)
batch_apply(scheds)
batch_apply(all)
for queue in pairs(touched) do
  redis.call('HSETNX', KEYS[1], queue, '0')
  notify(queue)
end
return reply
