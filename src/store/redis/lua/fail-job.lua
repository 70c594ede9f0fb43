-- fail-job.lua: records a failed attempt of an active job whose token is current and applies the
-- caller's outcome: retry or rate-limit pause (back to scheduled, or waiting when due), or the
-- dead-letter queue (the record is created here, in the same step).
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] job id;  ARGV[5] token;
-- ARGV[6]  the attempt record (JSON);  ARGV[7] its signature (duplicate detection);
-- ARGV[8]  outcome 'retry' | 'rate_limited' | 'dead_letter';
-- ARGV[9]  retry/rate_limited: runAt (caller's clock).  dead_letter: dead-letter id;
-- ARGV[10] dead_letter: redacted payload JSON, or '' to copy the job's payload as it is;
-- ARGV[11] dead_letter: N;  ARGV[12..] N field/value pairs of the dead letter (the caller's part).
-- Returns  { outcome, detail }: {'retried', 'waiting'|'scheduled'}, {'dead_lettered', dlId},
--          {'duplicate'} (this failure was recorded already), {'stale_token'}, {'not_active'},
--          {'not_found'}.
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/dead-letters.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local id, token, kind = ARGV[4], ARGV[5], ARGV[8]
local k = jkey(id)
local f = redis.call('HMGET', k, 's', 'tk', 'at', 'am', 'rl', 'q', 'd', 'p', 'la', 'pr')
local state = f[1]
if not state then return { 'not_found' } end
if f[2] ~= token then return { 'stale_token' } end
if state ~= 'active' then
  -- A resend of the failure this token recorded (still the job's last attempt) is a duplicate.
  local same = f[9] == ARGV[7]
  local landed
  if kind == 'dead_letter' then landed = state == 'dead_lettered' else landed = state == 'scheduled' or state == 'waiting' end
  if same and landed then return { 'duplicate' } end
  return { 'not_active' }
end

local queue = f[6]
local attempts = append_attempt(f[3], ARGV[6])
local spent = kind == 'rate_limited' and 0 or 1
local made = num(f[4], 0) + spent
redis.call('ZREM', qkey(queue, 'active'), id)

if kind == 'dead_letter' then
  local dl_id = ARGV[9]
  local fields = {}
  for i = 1, tonumber(ARGV[11]) * 2 do fields[i] = ARGV[11 + i] end
  local payload = nz(ARGV[10]) or f[8]
  local d = cjson.decode(f[7])
  local replay_of = d[7]
  if replay_of == cjson.null then replay_of = nil end
  dl_insert_from_job(dl_id, fields, id, { queue = queue, name = d[1], replay_of = replay_of }, payload, attempts, now)
  redis.call('HSET', k, 's', 'dead_lettered', 'fa', int(now), 'am', made, 'at', attempts, 'la', ARGV[7], 'le', '', 'dl', dl_id)
  redis.call('ZADD', qkey(queue, 'dead'), now, id)
  return { 'dead_lettered', dl_id }
end

local run_at = tonumber(ARGV[9]) + offset
local next_state = run_at <= now and 'waiting' or 'scheduled'
redis.call('HSET', k, 's', next_state, 'ra', int(run_at), 'am', made, 'rl', num(f[5], 0) + (1 - spent),
  'at', attempts, 'la', ARGV[7], 'le', '', 'w', '')
if next_state == 'waiting' then
  redis.call('ZADD', qkey(queue, 'wait'), wait_score(tonumber(f[10]), run_at), pad(id))
  notify(queue)
else
  redis.call('ZADD', qkey(queue, 'sched'), run_at, id)
end
return { 'retried', next_state }
