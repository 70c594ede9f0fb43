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
    end
    redis.call('HSET', key, 'fingerprint', fingerprint, 'fingerprintVersion', version)
    updated = updated + 1
  end
end
return updated
