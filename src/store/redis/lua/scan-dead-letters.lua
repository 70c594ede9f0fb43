-- scan-dead-letters.lua: reads (changes nothing) dead letters in dead-letter-time order from one or
-- more disjoint time-ordered indexes (or from a list of ids), keeping those that match a filter.
-- Examines at most `budget` candidates per call; the caller continues from the returned position.
-- Listing, counting and failure grouping all run on it.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] mode: 'ids' (return matching ids) | 'rows' (their hashes, as flat
--          field/value lists) | 'count' | 'groups' (return { fingerprint, deadLetteredAt, id,
--          errorClass, errorMessage, domain } per match);
-- ARGV[3]  order: 'newest' | 'oldest';  ARGV[4], ARGV[5] position to continue after: score and
--          member ('' = from the start);  ARGV[6] lowest time (inclusive, or '-inf');
-- ARGV[7]  highest time (exclusive, or '+inf');  ARGV[8] filter JSON ('' = none);
-- ARGV[9]  matches wanted (ids and groups modes);  ARGV[10] matches to skip first;  ARGV[11] budget;
-- ARGV[12] source kind: 'zsets' | 'ids';  ARGV[13..] index keys, or dead-letter ids
-- Returns  { state, positionScore, positionMember, skipped, matched, results, examined }: state
--          'more' or 'end'; skipped the matches skipped by this call; matched the matches counted
--          (count mode) or returned; examined the candidates examined.
--!include lib/common.lua
--!include lib/dead-letters.lua
--!include lib/dead-letter-filter.lua

local mode, newest = ARGV[2], ARGV[3] == 'newest'
local pos_score, pos_member = num(ARGV[4], nil), nz(ARGV[5])
local lo, hi = ARGV[6], ARGV[7]
local lo_n, hi_n = tonumber(lo) or -math.huge, tonumber(hi) or math.huge
local want, skip, budget = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local needed, test = { 'status' }, function() return true end
if ARGV[8] ~= '' then needed, test = compile_filter(cjson.decode(ARGV[8])) end

local function before(a, b)
  if a[2] ~= b[2] then
    if newest then return a[2] > b[2] end
    return a[2] < b[2]
  end
  if newest then return a[1] > b[1] end
  return a[1] < b[1]
end

local function in_range(score) return score >= lo_n and score < hi_n end

-- Up to `n` entries of `key` after the position, in order, as { member, score }.
local function fetch(key, n)
  local raw
  if pos_member then
    local rank
    if newest then rank = redis.call('ZREVRANK', key, pos_member) else rank = redis.call('ZRANK', key, pos_member) end
    if rank then
      if newest then raw = redis.call('ZREVRANGE', key, rank + 1, rank + n, 'WITHSCORES')
      else raw = redis.call('ZRANGE', key, rank + 1, rank + n, 'WITHSCORES') end
    end
  end
  local out = {}
  if raw then
    for i = 1, #raw, 2 do out[#out + 1] = { raw[i], tonumber(raw[i + 1]) } end
    return out, #raw / 2 < n
  end
  -- By score: from the position's score (ties not after it skipped) or from the range's end.
  local offset = 0
  while true do
    if newest then
      local top = '(' .. hi
      if hi == '+inf' then top = '+inf' end
      if pos_score then top = pos_score end
      raw = redis.call('ZREVRANGEBYSCORE', key, top, lo, 'WITHSCORES', 'LIMIT', offset, n)
    else
      local bottom = lo
      if pos_score then bottom = pos_score end
      local top = '(' .. hi
      if hi == '+inf' then top = '+inf' end
      raw = redis.call('ZRANGEBYSCORE', key, bottom, top, 'WITHSCORES', 'LIMIT', offset, n)
    end
    for i = 1, #raw, 2 do
      local e = { raw[i], tonumber(raw[i + 1]) }
      if not pos_member or before({ pos_member, pos_score }, e) then out[#out + 1] = e end
    end
    if #raw / 2 < n then return out, true end
    if #out > 0 then return out, false end
    offset = offset + n
  end
end

local candidates = {}
local exhausted = true
if ARGV[12] == 'ids' then
  for i = 13, #ARGV do
    local at = redis.call('HGET', dkey(ARGV[i]), 'deadLetteredAt')
    local member = redis.call('HGET', dkey(ARGV[i]), 'member')
    if at and member then candidates[#candidates + 1] = { member, tonumber(at) } end
  end
  table.sort(candidates, before)
else
  for i = 13, #ARGV do
    local list, done = fetch(ARGV[i], budget)
    if not done then exhausted = false end
    for _, e in ipairs(list) do candidates[#candidates + 1] = e end
  end
  if #ARGV > 13 then
    -- Word sets of the error-text index may hold the same entry twice: keep one.
    table.sort(candidates, before)
    local unique = {}
    for _, e in ipairs(candidates) do
      if #unique == 0 or unique[#unique][1] ~= e[1] then unique[#unique + 1] = e end
    end
    candidates = unique
  end
end

local results, matched, skipped = {}, 0, 0
local last = nil
local stopped = false
local examined = 0
for _, e in ipairs(candidates) do
  if examined >= budget then stopped = true; break end
  if not in_range(e[2]) then
    if (newest and e[2] < lo_n) or (not newest and e[2] >= hi_n) then exhausted = true; stopped = false; break end
  else
    examined = examined + 1
    last = e
    local id = string.sub(e[1], 17)
    local values = redis.call('HMGET', dkey(id), unpack(needed))
    if values[1] ~= false or #needed == 0 then
      if test(values) then
        if skip > 0 then
          skip = skip - 1
          skipped = skipped + 1
        else
          matched = matched + 1
          if mode == 'ids' then
            results[#results + 1] = id
          elseif mode == 'rows' then
            results[#results + 1] = redis.call('HGETALL', dkey(id))
          elseif mode == 'groups' then
            local g = redis.call('HMGET', dkey(id), 'fingerprint', 'deadLetteredAt', 'errorClass', 'errorMessage', 'domain')
            results[#results + 1] = { g[1], g[2], id, g[3], g[4], g[5] }
          end
          if mode ~= 'count' and matched >= want then stopped = true; break end
        end
      end
    end
  end
  last = e
end
local state = 'more'
if exhausted and not stopped then state = 'end' end
if ARGV[12] == 'ids' and not stopped then state = 'end' end
local ps, pm = '', ''
if last then ps, pm = int(last[2]), last[1] end
return { state, ps, pm, skipped, matched, results, examined }
