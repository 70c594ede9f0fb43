-- append-audit.lua: appends audit entries (bulk actions, or actions with no state change).
--
-- KEYS[1]  {p}:audit:all (declared for routing)
-- ARGV[1]  key base;  ARGV[2] N;  ARGV[3..] N entry JSON texts without `seq`, each followed by
--          its dead-letter id ('' = none)
-- Returns  the sequence numbers assigned, in input order.
--!include lib/common.lua

local seqs = {}
for i = 1, tonumber(ARGV[2]) do
  local entry, dl_id = ARGV[1 + i * 2], ARGV[2 + i * 2]
  local seq = redis.call('INCR', B .. 'audit:seq')
  redis.call('HSET', B .. 'audit:e', seq, entry)
  redis.call('ZADD', B .. 'audit:all', seq, seq)
  if dl_id ~= '' then redis.call('ZADD', B .. 'audit:dl:' .. dl_id, seq, seq) end
  seqs[i] = seq
end
return seqs
