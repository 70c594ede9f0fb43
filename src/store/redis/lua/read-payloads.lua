-- read-payloads.lua: the payloads of a batch of jobs, read for the caller's redaction of their dead
-- letters (one call for the batch: fewer commands to send and parse than one HGET per job).
--
-- KEYS[1]  {p}:queues (declared for routing; not read)
-- ARGV[1]  key base;  ARGV[2..] job ids
-- Returns  each job's payload JSON (field `p`) in input order; nil where the job has none.
local out = {}
for i = 2, #ARGV do
  out[i - 1] = redis.call('HGET', ARGV[1] .. 'j:' .. ARGV[i], 'p') or false
end
return out
