-- insert-jobs.lua: inserts a batch of jobs, honouring idempotency keys (per queue).
--
-- KEYS[1]  {p}:queues  (queue registry; every queue of the batch is registered)
-- KEYS[2]  {p}:ids     (job id counter)
-- ARGV[1]  key base `{p}:`;  ARGV[2] clock mode 'server' | 'caller';  ARGV[3] caller's now (ms)
-- ARGV[4]  'uniform': jobs that differ only in payload —
--            ARGV[5..13] queue, name, priority, runAt, maxAttempts, timeoutMs, backoff, replayOf,
--            payload count N; then N payloads. (timeoutMs, backoff, replayOf: '' for null.)
--          'mixed': ARGV[5] N; then N groups of 10: queue, name, payload, priority, runAt,
--            maxAttempts, timeoutMs, backoff, idempotencyKey, replayOf ('' for null; an
--            idempotency key is sent as '=' .. key so that an empty key is still a key).
-- Returns  { ids, outcomes }: ids[i] the job's id; outcomes[i] 'created', or 'existing' when an
--          idempotency key matched (the id is then the first job's).
-- Atomic with the other chunks of the same batch: the store sends several chunks in MULTI/EXEC.
--!include lib/common.lua
--!include lib/jobs.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local ids, outcomes = {}, {}
local waits, scheds, all = batch_new(), batch_new(), batch_new()
local touched = {}

local function insert_one(queue, name, payload, priority, run_at, max_attempts, timeout_ms, backoff, key, replay_of, id)
  if key then
    local existing = redis.call('HGET', qkey(queue, 'ik'), key)
    if existing then return existing, 'existing' end
  end
  local due = run_at + offset
  local state = due <= now and 'waiting' or 'scheduled'
  local fields = { 'q', queue, 'n', name, 'p', payload, 'pr', priority, 'ma', max_attempts, 'ra', int(due), 'ca', int(now), 's', state }
  if timeout_ms ~= '' then fields[#fields + 1] = 'to'; fields[#fields + 1] = timeout_ms end
  if backoff ~= '' then fields[#fields + 1] = 'bo'; fields[#fields + 1] = backoff end
  if key then fields[#fields + 1] = 'ik'; fields[#fields + 1] = key end
  if replay_of ~= '' then fields[#fields + 1] = 'ro'; fields[#fields + 1] = replay_of end
  redis.call('HSET', jkey(id), unpack(fields))
  if state == 'waiting' then
    batch_add(waits, queue, 'zadd:wait', wait_score(tonumber(priority), due), pad(id))
  else
    batch_add(scheds, queue, 'zadd:sched', due, id)
  end
  batch_add(all, queue, 'zadd:ids', id, id)
  if key then redis.call('HSET', qkey(queue, 'ik'), key, id) end
  touched[queue] = true
  return id, 'created'
end

local mode = ARGV[4]
if mode == 'uniform' then
  local queue, name, priority, run_at = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
  local max_attempts, timeout_ms, backoff, replay_of = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
  local n = tonumber(ARGV[13])
  local first = redis.call('INCRBY', KEYS[2], n) - n
  for i = 1, n do
    ids[i], outcomes[i] = insert_one(queue, name, ARGV[13 + i], priority, run_at, max_attempts, timeout_ms,
      backoff, nil, replay_of, int(first + i))
  end
else
  local n = tonumber(ARGV[5])
  local first = redis.call('INCRBY', KEYS[2], n) - n
  for i = 1, n do
    local a = 5 + (i - 1) * 10
    local key = ARGV[a + 9]
    if key == '' then key = nil else key = string.sub(key, 2) end
    ids[i], outcomes[i] = insert_one(ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], tonumber(ARGV[a + 5]),
      ARGV[a + 6], ARGV[a + 7], ARGV[a + 8], key, ARGV[a + 10], int(first + i))
  end
end

batch_apply(waits)
batch_apply(scheds)
batch_apply(all)
for queue in pairs(touched) do
  redis.call('HSETNX', KEYS[1], queue, '0')
  notify(queue)
end
return { ids, outcomes }
