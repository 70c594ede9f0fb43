-- index-dead-letters.lua: one bounded step of the search-index walk. New entries wait in
-- {p}:dl:ixq (lib/dead-letter-index.lua): a step indexes the oldest of them first. Entries stored
-- before the word index existed, or before a JSON path was declared, are in no index; this walks {p}:dl:t in
-- time order from the position kept in {p}:dl:ix and indexes each entry's words (while the
-- word index is incomplete) and its values at the paths not ready yet. Adding an entry to an index
-- twice changes nothing, so a step repeated after a crash, or by two processes, is harmless. At the
-- end of the walk the word index and those paths are marked complete.
--
-- KEYS[1]  {p}:dl:t (every entry by dead-letter time)
-- ARGV[1]  key base;  ARGV[2] entries examined per step
-- Returns  { state, examined, waiting }: state 'more' (call again) or 'done' (every older entry
--          is indexed); waiting: new entries still waiting for the indexes (call again while > 0).
--!include lib/common.lua
--!include lib/dead-letters.lua

local limit = tonumber(ARGV[2])
local queued = dlx.index_queued(limit)
local left = 0
if queued == limit then left = redis.call('ZCARD', dlx.queue_key()) end
local state_key = B .. 'dl:ix'
local s = redis.call('HMGET', state_key, 'words', 'score', 'member')
local words = s[1] ~= '1'
local waiting = {}
for _, d in ipairs(dlx.declared()) do
  if not d.ready then waiting[#waiting + 1] = d end
end
if not words and #waiting == 0 then return { 'done', queued, left } end
if queued > 0 then return { 'more', queued, left } end

local raw
if s[3] then
  local rank = redis.call('ZRANK', KEYS[1], s[3])
  if rank then raw = redis.call('ZRANGE', KEYS[1], rank + 1, rank + limit, 'WITHSCORES')
  -- The position's entry was purged: go on from its time (entries met again change nothing).
  else raw = redis.call('ZRANGEBYSCORE', KEYS[1], s[2], '+inf', 'WITHSCORES', 'LIMIT', 0, limit) end
else
  raw = redis.call('ZRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
end

local batch = {}
for i = 1, #raw, 2 do
  -- A member is 16 digits of order, then the id (lib/dead-letters.lua).
  local fields = dlx.stored_fields(dkey(string.sub(raw[i], 17)))
  dlx.add(batch, raw[i + 1], raw[i], fields, words, function(d) return not d.ready end)
end
dlx.apply(batch)
local examined = #raw / 2
if examined == limit then
  redis.call('HSET', state_key, 'score', raw[#raw], 'member', raw[#raw - 1])
  return { 'more', examined }
end
redis.call('HDEL', state_key, 'score', 'member')
redis.call('HSET', state_key, 'words', '1')
for _, d in ipairs(waiting) do
  redis.call('HSET', B .. 'dl:paths', d.name, cjson.encode({ f = d.field, p = d.path, r = 1 }))
end
return { 'done', examined }
