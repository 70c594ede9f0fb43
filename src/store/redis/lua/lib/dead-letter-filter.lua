-- lib/dead-letter-filter.lua: evaluates a DeadLetterFilter (decoded JSON, as built by
-- dead-letter-filter.ts) against one stored entry. Needs lib/common.lua and lib/dead-letters.lua.
--
-- Filter keys: statuses, domains, excludeDomains (arrays); queue, failureType, entityType,
-- entityId, userId, jobId, fingerprint, errorText (lower-cased) (strings); from, to,
-- expiresBefore, updatedBefore, lastReplayBefore (numbers); belowReplayCap (boolean); json (array
-- of { field, path = [ {k = key} | {i = index} ], op, value }).
-- JSON comparisons follow SQLite's json_extract: numbers compare as numbers, strings as strings,
-- booleans as 1/0, and across types null < number < text; a missing path is null.

local function set_of(list)
  if not list or list == cjson.null then return nil end
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local EQ_FIELDS = { 'queue', 'failureType', 'entityType', 'entityId', 'userId', 'jobId', 'fingerprint' }

-- Compiles a filter: returns the field names to read and a predicate over their values (by name).
local function compile_filter(filter)
  local needed, seen = {}, {}
  local function need(name)
    if not seen[name] then seen[name] = true; needed[#needed + 1] = name end
  end
  local checks = {}
  need('status')
  local statuses, domains, excluded = set_of(filter.statuses), set_of(filter.domains), set_of(filter.excludeDomains)
  if statuses then need('status'); checks[#checks + 1] = function(e) return statuses[e.status] == true end end
  if domains then need('domain'); checks[#checks + 1] = function(e) return domains[e.domain] == true end end
  if excluded then need('domain'); checks[#checks + 1] = function(e) return excluded[e.domain] ~= true end end
  for _, name in ipairs(EQ_FIELDS) do
    local want = filter[name]
    if want ~= nil and want ~= cjson.null then
      need(name)
      checks[#checks + 1] = function(e) return e[name] == want end
    end
  end
  if filter.errorText and filter.errorText ~= cjson.null then
    local text = filter.errorText
    need('errorMessage')
    checks[#checks + 1] = function(e)
      return e.errorMessage ~= nil and string.find(string.lower(e.errorMessage), text, 1, true) ~= nil
    end
  end
  local function numeric(name, field, test)
    local v = filter[name]
    if v == nil or v == cjson.null then return end
    need(field)
    checks[#checks + 1] = function(e) return test(tonumber(e[field]), v) end
  end
  numeric('from', 'deadLetteredAt', function(x, v) return x ~= nil and x >= v end)
  numeric('to', 'deadLetteredAt', function(x, v) return x ~= nil and x < v end)
  numeric('expiresBefore', 'expiresAt', function(x, v) return x ~= nil and x <= v end)
  numeric('updatedBefore', 'updatedAt', function(x, v) return x ~= nil and x < v end)
  numeric('lastReplayBefore', 'lastReplayAt', function(x, v) return x == nil or x < v end)
  if filter.belowReplayCap == true then
    need('replayCount'); need('maxReplays')
    checks[#checks + 1] = function(e) return (tonumber(e.replayCount) or 0) < (tonumber(e.maxReplays) or 0) end
  end
  if filter.json and filter.json ~= cjson.null then
    for _, cond in ipairs(filter.json) do
      need(cond.field)
      checks[#checks + 1] = function(e, decoded)
        local doc = decoded[cond.field]
        if doc == nil then
          local text = e[cond.field]
          if text == nil then doc = cjson.null else
            local ok, value = pcall(cjson.decode, text)
            if ok then doc = value else doc = cjson.null end
          end
          decoded[cond.field] = doc
        end
        local v = doc
        for _, seg in ipairs(cond.path) do
          if type(v) ~= 'table' then v = nil; break end
          if seg.k ~= nil then v = v[seg.k] else v = v[seg.i + 1] end
          if v == nil then break end
        end
        local op = cond.op
        local want = cond.value
        if op == 'exists' then return v ~= nil and v ~= cjson.null end
        if want == nil or want == cjson.null then
          if op == 'ne' then return v ~= cjson.null end
          if op == 'eq' then return v == cjson.null end
          return false
        end
        if type(v) == 'boolean' then v = v and 1 or 0 end
        if type(want) == 'boolean' then want = want and 1 or 0 end
        if type(v) == 'table' then v = cjson.encode(v) end
        local function rank(x)
          if x == nil or x == cjson.null then return 0 elseif type(x) == 'number' then return 1 else return 2 end
        end
        local rv, rw = rank(v), rank(want)
        local equal = rv == rw and v == want
        if op == 'eq' then return equal end
        if op == 'ne' then return not equal end
        if rv == 0 then return false end
        local less, greater
        if rv ~= rw then less, greater = rv < rw, rv > rw else less, greater = v < want, v > want end
        if op == 'gt' then return greater end
        if op == 'gte' then return greater or equal end
        if op == 'lt' then return less end
        if op == 'lte' then return less or equal end
        return false
      end
    end
  end
  local function test(values)
    local e = {}
    for i, name in ipairs(needed) do
      local v = values[i]
      if v ~= false then e[name] = v end
    end
    local decoded = {}
    for _, check in ipairs(checks) do
      if not check(e, decoded) then return false end
    end
    return true
  end
  return needed, test
end
