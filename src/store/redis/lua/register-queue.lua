-- register-queue.lua: gives a queue its number, hence its own slot (QueueSlotRedisStore), once:
-- a registered queue keeps its number. Lists it in the store's registry too (not paused). Refuses
-- a prefix that holds a single-slot store's jobs (see `redrive migrate`).
--
-- KEYS[1]  {p}:slots
-- KEYS[2]  {p}:slots:seq
-- KEYS[3]  {p}:queues
-- KEYS[4]  {p}:ids (exists only with a single-slot store's jobs)
-- ARGV[1]  key base;  ARGV[2] queue;  ARGV[3] '1' = register when missing, '' = look up only,
--          'migrate' = register even beside a single-slot store's jobs (queue-slot-migration.ts)
-- Returns  the queue's number, or 0 when it has none and ARGV[3] is ''.

local n = redis.call('HGET', KEYS[1], ARGV[2])
if n then return tonumber(n) end
if ARGV[3] == '' then return 0 end
if ARGV[3] ~= 'migrate' and redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('ERR redrive: this prefix holds a single-slot Redis store; run `redrive migrate` to move its jobs to queue slots')
end
n = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[2], n)
redis.call('HSETNX', KEYS[3], ARGV[2], '0')
return n
