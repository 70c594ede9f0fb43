-- set-queue-paused.lua: pauses or resumes a queue (registering it); a resume wakes its workers.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] queue;  ARGV[3] 'paused' | 'resumed'
-- Returns  the new state: 'paused' or 'resumed'.
--!include lib/common.lua
--!include lib/jobs.lua

if ARGV[3] == 'paused' then
  redis.call('HSET', KEYS[1], ARGV[2], '1')
else
  redis.call('HSET', KEYS[1], ARGV[2], '0')
  notify(ARGV[2])
end
return ARGV[3]
