-- list-jobs.lua: reads (changes nothing) jobs of one queue in id order after `afterId`, keeping
-- those in the given states, examining at most `budget` ids per call (the listing index holds
-- job ids and runs of ids, see lib/jobs.lua).
--
-- KEYS[1]  {p}:queues (declared for routing)
-- ARGV[1]  key base;  ARGV[2] queue;  ARGV[3] afterId ('' = from the start);  ARGV[4] limit;
-- ARGV[5]  budget;  ARGV[6..] states to keep (none = every state)
-- Returns  { jobs, next }: jobs a list of HGETALL field/value lists (each with 'id' added);
--          next the last id examined (continue after it), or 'end'.
--!include lib/common.lua
--!include lib/jobs.lua

local queue, limit, budget = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5])
local index = qkey(queue, 'ids')
local keep = nil
if #ARGV >= 6 then
  keep = {}
  for i = 6, #ARGV do keep[ARGV[i]] = true end
end
local jobs, last, examined = {}, nil, 0

-- Examines the ids from..to (a run, or one id) until the budget or the limit is reached; true
-- when it stopped early.
local function visit(from, to)
  for n = from, to do
    if examined >= budget or #jobs >= limit then return true end
    examined = examined + 1
    local id = string.format('%d', n)
    last = id
    local k = jkey(id)
    local match = true
    if keep then match = keep[redis.call('HGET', k, 's')] == true end
    if match then
      local fields = redis.call('HGETALL', k)
      -- A run's removed jobs are gone from Redis but still inside the run's bounds.
      if #fields > 0 then
        fields[#fields + 1] = 'id'
        fields[#fields + 1] = id
        jobs[#jobs + 1] = fields
      end
    end
  end
  return false
end

local after = -1
if ARGV[3] ~= '' then after = tonumber(ARGV[3]) end
-- A run that starts at or before `after` may go on past it.
if after >= 0 then
  local run = redis.call('ZREVRANGEBYSCORE', index, after, '-inf', 'LIMIT', 0, 1)[1]
  if run then
    local _, to = ids_run_bounds(run)
    if to > after and visit(after + 1, to) then return { jobs, last } end
  end
end
local min = '-inf'
if after >= 0 then min = '(' .. ARGV[3] end
local members = redis.call('ZRANGEBYSCORE', index, min, '+inf', 'LIMIT', 0, budget)
for _, member in ipairs(members) do
  local from, to = ids_run_bounds(member)
  if visit(from, to) then return { jobs, last } end
end
if #members < budget then return { jobs, 'end' } end
return { jobs, last or 'end' }
