-- prepare-dead-letter-index.lua: declares the JSON paths a store indexes (lib/dead-letter-index.lua)
-- before its first dead-letter call. A path declared while the store holds no entry is complete at
-- once; otherwise it is marked not ready and the index walk (index-dead-letters.lua) starts over,
-- so that it indexes the entries stored before. A store holding no entry has its word index
-- complete too. Paths declared before (by this or another process) are left as they are.
--
-- KEYS[1]  {p}:dl:t (every entry by dead-letter time)
-- ARGV[1]  key base;  ARGV[2..] pairs: declared path (`payload.customerId`), JSON { f = field,
--          p = segments }
-- Returns  the declared paths that are not ready yet.
--!include lib/common.lua

local empty = redis.call('ZCARD', KEYS[1]) == 0
if empty then redis.call('HSET', B .. 'dl:ix', 'words', '1') end
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', B .. 'dl:paths', ARGV[i]) == 0 then
    local d = cjson.decode(ARGV[i + 1])
    local ready = 0
    if empty then ready = 1 end
    redis.call('HSET', B .. 'dl:paths', ARGV[i], cjson.encode({ f = d.f, p = d.p, r = ready }))
    if not empty then redis.call('HDEL', B .. 'dl:ix', 'score', 'member') end
  end
end
local waiting = {}
local raw = redis.call('HGETALL', B .. 'dl:paths')
for i = 1, #raw, 2 do
  if cjson.decode(raw[i + 1]).r ~= 1 then waiting[#waiting + 1] = raw[i] end
end
return waiting
