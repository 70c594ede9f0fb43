-- list-audit.lua: reads (changes nothing) audit entries newest first, optionally of one dead
-- letter, by action and by actor, with sequence numbers below `before`; examines at most `budget`
-- entries per call.
--
-- KEYS[1]  {p}:audit:all (declared for routing)
-- ARGV[1]  key base;  ARGV[2] dead-letter id ('' = every entry);  ARGV[3] action ('' = any);
-- ARGV[4]  actor ('' = any);  ARGV[5] before ('' = from the newest);  ARGV[6] limit;  ARGV[7] budget;
-- ARGV[8]  action given as a real empty string ('1') or not;  ARGV[9] the same for actor
-- Returns  { entries, next }: entries a list of { seq, JSON }; next the last sequence examined
--          (continue below it), or 'end'.
--!include lib/common.lua

local index = B .. 'audit:all'
if ARGV[2] ~= '' then index = B .. 'audit:dl:' .. ARGV[2] end
local action, actor = nz(ARGV[3]), nz(ARGV[4])
if ARGV[8] == '1' then action = '' end
if ARGV[9] == '1' then actor = '' end
local top = '+inf'
if ARGV[5] ~= '' then top = '(' .. ARGV[5] end
local limit, budget = tonumber(ARGV[6]), tonumber(ARGV[7])
local seqs = redis.call('ZREVRANGEBYSCORE', index, top, '-inf', 'LIMIT', 0, budget)
local out = {}
local last = nil
for _, seq in ipairs(seqs) do
  last = seq
  local entry = redis.call('HGET', B .. 'audit:e', seq)
  if entry then
    local keep = true
    if action ~= nil or actor ~= nil then
      local e = cjson.decode(entry)
      if action ~= nil and e.action ~= action then keep = false end
      if actor ~= nil and e.actor ~= actor then keep = false end
    end
    if keep then
      out[#out + 1] = { seq, entry }
      if #out >= limit then break end
    end
  end
end
if #out < limit and #seqs < budget then return { out, 'end' } end
return { out, last or 'end' }
