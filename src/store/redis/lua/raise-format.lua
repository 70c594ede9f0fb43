-- raise-format.lua: settles the store's format version ({p}:format, absent = 1) before its first
-- write whose layout the version decides. A prefix without the key that holds none of the store's
-- data keys (KEYS[2..7]: nothing any release wrote there) gets ARGV[3], the newest version; a
-- prefix with data and no key stays at 1. Then the key is raised to ARGV[2]; never lowered.
--
-- KEYS[1]  {p}:format
-- KEYS[2]  {p}:queues      (queue registry)
-- KEYS[3]  {p}:ids         (job id counter)
-- KEYS[4]  {p}:dl:t        (every dead letter by time)
-- KEYS[5]  {p}:dl:out      (a queue slot's dead-letter outbox)
-- KEYS[6]  {p}:audit:all   (audit entries)
-- KEYS[7]  {p}:slots       (a queue-slot store's queue numbers)
-- ARGV[1]  key base;  ARGV[2] the version wanted ('' = none);  ARGV[3] the newest version
-- Returns  the version in force after the call.
local current = redis.call('GET', KEYS[1])
if current then
  current = tonumber(current) or 1
elseif redis.call('EXISTS', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]) == 0 then
  redis.call('SET', KEYS[1], ARGV[3])
  current = tonumber(ARGV[3])
else
  current = 1
end
local wanted = tonumber(ARGV[2])
if wanted and wanted > current then
  redis.call('SET', KEYS[1], ARGV[2])
  return wanted
end
return current
