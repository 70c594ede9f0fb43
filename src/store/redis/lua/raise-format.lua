-- raise-format.lua: raises the store's format version ({p}:format, absent = 1) to ARGV[2]; never
-- lowers it.
--
-- KEYS[1]  {p}:format
-- ARGV[1]  key base;  ARGV[2] the version wanted
-- Returns  the version in force after the call.
local wanted = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '1') or 1
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[2])
  return wanted
end
return current
