-- list-jobs.lua: reads (changes nothing) jobs of one queue in id order after `afterId`, keeping
-- those in the given states, examining at most `budget` ids per call.
--
-- KEYS[1]  {p}:queues (declared for routing)
-- ARGV[1]  key base;  ARGV[2] queue;  ARGV[3] afterId ('' = from the start);  ARGV[4] limit;
-- ARGV[5]  budget;  ARGV[6..] states to keep (none = every state)
-- Returns  { jobs, next }: jobs a list of HGETALL field/value lists (each with 'id' added);
--          next the last id examined (continue after it), or 'end'.
--!include lib/common.lua
--!include lib/jobs.lua

local queue, limit, budget = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5])
local min = '-inf'
if ARGV[3] ~= '' then min = '(' .. ARGV[3] end
local keep = nil
if #ARGV >= 6 then
  keep = {}
  for i = 6, #ARGV do keep[ARGV[i]] = true end
end
local ids = redis.call('ZRANGEBYSCORE', qkey(queue, 'ids'), min, '+inf', 'LIMIT', 0, budget)
local jobs = {}
local last = nil
for _, id in ipairs(ids) do
  last = id
  local match = true
  if keep then match = keep[redis.call('HGET', jkey(id), 's')] == true end
  if match then
    local fields = redis.call('HGETALL', jkey(id))
    fields[#fields + 1] = 'id'
    fields[#fields + 1] = id
    jobs[#jobs + 1] = fields
    if #jobs >= limit then break end
  end
end
if #ids < budget and (last == nil or last == ids[#ids]) then return { jobs, 'end' } end
return { jobs, last }
