-- regroup-dead-letters.lua: replaces the fingerprints of existing entries (a newer grouping
-- algorithm) and moves each entry from its old fingerprint index to its new one. Not a state
-- change: status, generation and updatedAt stay as they are. Unknown ids are skipped.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2..] triples of id, fingerprint, fingerprintVersion
-- Returns  how many entries changed.
--!include lib/common.lua
--!include lib/dead-letters.lua

local updated = 0
for i = 2, #ARGV, 3 do
  local id, fingerprint, version = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local key = dkey(id)
  local f = redis.call('HMGET', key, 'fingerprint', 'deadLetteredAt', 'member')
  if f[1] then
    if f[1] ~= fingerprint then
      redis.call('ZREM', B .. 'dl:f:' .. f[1], f[3])
      redis.call('ZADD', B .. 'dl:f:' .. fingerprint, f[2], f[3])
      -- Move the entry's count to its new group; a group first seen here takes the entry's class
      -- and message as its identity until an entry captured with the new algorithm arrives.
      local m = dl_meta(id)
      group_count(m, -1)
      m.fingerprint = fingerprint
      group_count(m, 1)
      local e = redis.call('HMGET', key, 'errorClass', 'errorMessage')
      group_seen(m, cjson.encode({ c = e[1] or cjson.null, m = e[2] or '', f = cjson.null }))
    end
    redis.call('HSET', key, 'fingerprint', fingerprint, 'fingerprintVersion', version)
    updated = updated + 1
  end
end
return updated
