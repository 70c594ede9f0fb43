-- count-dead-letters.lua: one bounded step of the counter backfill. Entries stored before the
-- per-fingerprint counters existed are in no {p}:dl:g cell and have no `counted` field; this
-- walks {p}:dl:t in time order from the position kept in {p}:dl:g:backfill and counts (and marks)
-- each such entry, with its fingerprint's first and last sighting. An entry already counted is
-- passed over, so a step repeated after a crash, or run by two processes at once, counts nothing
-- twice. At the end of a walk the counters' total is checked against the (status, domain) counts,
-- which every version kept: equal, the walk is over; otherwise (an older writer added entries
-- behind the position) it walks again, at most `passes` times.
--
-- KEYS[1]  {p}:dl:t (every entry by dead-letter time)
-- ARGV[1]  key base;  ARGV[2] entries examined per step;  ARGV[3] most walks
-- Returns  { state, counted, examined, uncounted }: state 'more' (call again), 'identities' (every
--          entry counted: the caller records the identity of groups that have none, then marks the
--          backfill done) or 'done'; uncounted = entries the counters still miss after the last walk.
--!include lib/common.lua
--!include lib/dead-letters.lua

local limit, passes = tonumber(ARGV[2]), tonumber(ARGV[3])
local state_key = B .. 'dl:g:backfill'
local s = redis.call('HMGET', state_key, 'done', 'score', 'member', 'pass', 'walked')
if s[1] == '1' then return { 'done', 0, 0, 0 } end
if s[5] == '1' then return { 'identities', 0, 0, 0 } end
-- A store that never held a dead letter has none to count.
if redis.call('EXISTS', B .. 'dl:seq') == 0 then
  redis.call('HSET', state_key, 'done', '1')
  return { 'done', 0, 0, 0 }
end

local raw
if s[3] then
  local rank = redis.call('ZRANK', KEYS[1], s[3])
  if rank then raw = redis.call('ZRANGE', KEYS[1], rank + 1, rank + limit, 'WITHSCORES')
  -- The position's entry was purged: go on from its time (entries met again are passed over).
  else raw = redis.call('ZRANGEBYSCORE', KEYS[1], s[2], '+inf', 'WITHSCORES', 'LIMIT', 0, limit) end
else
  raw = redis.call('ZRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
end

local counted = 0
for i = 1, #raw, 2 do
  -- A member is 16 digits of order, then the id (lib/dead-letters.lua).
  local m = dl_meta(string.sub(raw[i], 17))
  if m and not m.counted then
    group_count(m, 1)
    group_seen(m, nil)
    counted = counted + 1
  end
end
local examined = #raw / 2
if examined == limit then
  redis.call('HSET', state_key, 'score', raw[#raw], 'member', raw[#raw - 1])
  return { 'more', counted, examined, 0 }
end

-- The end of a walk.
local function total(key)
  local sum = 0
  for _, v in ipairs(redis.call('HVALS', key)) do sum = sum + tonumber(v) end
  return sum
end
local missing = total(B .. 'dl:counts') - total(B .. 'dl:g')
local pass = num(s[4], 1)
redis.call('HDEL', state_key, 'score', 'member')
if missing ~= 0 and pass < passes then
  redis.call('HSET', state_key, 'pass', int(pass + 1))
  return { 'more', counted, examined, missing }
end
redis.call('HSET', state_key, 'walked', '1', 'uncounted', int(missing))
return { 'identities', counted, examined, missing }
