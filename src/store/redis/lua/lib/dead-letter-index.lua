-- lib/dead-letter-index.lua: the search indexes of dead letters, kept by the scripts that insert
-- and purge entries (the values they index never change after the insert). Needs lib/common.lua.
-- Everything lives in the table `dlx` (one local: the scripts that include many libraries stay
-- under Lua's limit of 200 locals).
--
-- Declared JSON paths (`indexedPaths`): {p}:dl:paths maps each declared path (`payload.customerId`)
-- to JSON { f = field, p = segments ({k = key} | {i = index}), r = 1 once every entry is indexed }.
-- For each declared path and value, {p}:dl:x:<path>:<token> is a sorted set of the entries holding
-- that value, scored by dead-letter time, members as in the time indexes (lib/dead-letters.lua).
-- Tokens: `n:<integer>` for integers and booleans (true = 1, as the filter compares them), `s:<text>`
-- for strings (and arrays/objects as their JSON text) up to 256 bytes. Other values (null, missing,
-- fractions, longer strings) are in no index: a filter on them is checked by the bounded scan.
--
-- Words of the error message: {p}:dl:w:<word> is a sorted set of the entries whose message holds
-- the word (a run of letters and digits, lower-cased, cut to its first 32 bytes), scored and
-- membered as above; {p}:dl:wv is the vocabulary (a lexicographic sorted set of those words, for
-- prefix look-ups). A word found in more than `COMMON` entries is common: its set is dropped, it is
-- kept in {p}:dl:w:common and no longer indexed (a search anchored on it would not be selective).
-- {p}:dl:ix holds `words` = '1' once every entry is in the word index or waiting for it (a store
-- that starts empty; otherwise after index-dead-letters.lua has walked the older entries).
--
-- Inserts do not index: they add the entry to {p}:dl:ixq (scored and membered as above), and the
-- index walk (index-dead-letters.lua, run by the maintainer's backfill) moves entries from there
-- into the word and path sets. A failure storm or a burst of store() calls thus pays one sorted-set
-- member per entry instead of one per distinct word and declared path. Searches and path filters
-- read {p}:dl:ixq beside the index sets and check each of its entries, so their answers stay
-- exact. Past `BACKLOG` waiting entries (no maintainer running, or one that falls behind), each
-- insert indexes the oldest waiting entries itself, so the queue stays bounded.

local dlx = { COMMON = 5000, WORD_BYTES = 32, VALUE_BYTES = 256, BACKLOG = 10000, HELP = 1000 }

-- The entries waiting for the search indexes.
function dlx.queue_key()
  return B .. 'dl:ixq'
end

-- The declared paths (read once per script call).
function dlx.declared()
  if not dlx.paths then
    dlx.paths = {}
    local raw = redis.call('HGETALL', B .. 'dl:paths')
    for i = 1, #raw, 2 do
      local d = cjson.decode(raw[i + 1])
      dlx.paths[#dlx.paths + 1] = { name = raw[i], field = d.f, path = d.p, ready = d.r == 1 }
    end
  end
  return dlx.paths
end

-- The index token of a JSON value (see the header), or nil when the value is not indexed.
function dlx.token(v)
  if v == nil or v == cjson.null then return nil end
  local t = type(v)
  if t == 'boolean' then
    if v then return 'n:1' end
    return 'n:0'
  end
  if t == 'number' then
    if v == math.floor(v) and math.abs(v) < 9007199254740992 then return 'n:' .. string.format('%d', v) end
    return nil
  end
  if t == 'table' then v = cjson.encode(v) end
  if #v > dlx.VALUE_BYTES then return nil end
  return 's:' .. v
end

-- The value at a declared path of a JSON document (text), or nil.
function dlx.value_at(text, path)
  if not text then return nil end
  local ok, v = pcall(cjson.decode, text)
  if not ok then return nil end
  for _, seg in ipairs(path) do
    if type(v) ~= 'table' then return nil end
    if seg.k ~= nil then v = v[seg.k] else v = v[seg.i + 1] end
    if v == nil then return nil end
  end
  return v
end

-- The path-index keys of an entry whose JSON fields are in `fields` (name -> text); only the
-- paths `which` accepts (every declared path when nil).
function dlx.path_keys(fields, which)
  local keys = {}
  for _, d in ipairs(dlx.declared()) do
    if not which or which(d) then
      local token = dlx.token(dlx.value_at(fields[d.field], d.path))
      if token then keys[#keys + 1] = B .. 'dl:x:' .. d.name .. ':' .. token end
    end
  end
  return keys
end

-- The distinct index words of a message.
function dlx.words(message)
  local out, seen = {}, {}
  if not message then return out end
  for w in string.gmatch(string.lower(message), '[%w\128-\255]+') do
    local word = string.sub(w, 1, dlx.WORD_BYTES)
    if not seen[word] then
      seen[word] = true
      out[#out + 1] = word
    end
  end
  return out
end

-- Whether a word is common (cached per script call).
function dlx.common(word)
  dlx.commons = dlx.commons or {}
  local c = dlx.commons[word]
  if c == nil then
    c = redis.call('SISMEMBER', B .. 'dl:w:common', word) == 1
    dlx.commons[word] = c
  end
  return c
end

-- Gathers an entry's index writes in `batch.dlx` (written by dlx.apply; `at` is its dead-letter
-- time, as text): its declared paths (all of them, or those `which` accepts) and, unless `words`
-- is false, the words of its message.
function dlx.add(batch, at, member, fields, words, which)
  local x = batch.dlx
  if not x then
    x = { paths = {}, words = {} }
    batch.dlx = x
  end
  for _, key in ipairs(dlx.path_keys(fields, which)) do
    local list = x.paths[key]
    if not list then list = {}; x.paths[key] = list end
    list[#list + 1] = at
    list[#list + 1] = member
  end
  if words == false then return end
  -- A storm repeats one message: its words are found once per script call.
  local message = fields.errorMessage
  dlx.seen_words = dlx.seen_words or {}
  local found = message and dlx.seen_words[message]
  if not found then
    found = dlx.words(message)
    if message then dlx.seen_words[message] = found end
  end
  for _, word in ipairs(found) do
    if not dlx.common(word) then
      local list = x.words[word]
      if not list then list = {}; x.words[word] = list end
      list[#list + 1] = at
      list[#list + 1] = member
    end
  end
end

-- Writes what dlx.add gathered: one ZADD per key; a word past COMMON entries becomes common.
function dlx.apply(batch)
  local x = batch.dlx
  if not x then return end
  for key, list in pairs(x.paths) do call_many('ZADD', key, list) end
  local vocabulary = {}
  for word, list in pairs(x.words) do
    local key = B .. 'dl:w:' .. word
    call_many('ZADD', key, list)
    if redis.call('ZCARD', key) > dlx.COMMON then
      redis.call('SADD', B .. 'dl:w:common', word)
      redis.call('UNLINK', key)
    end
    vocabulary[#vocabulary + 1] = 0
    vocabulary[#vocabulary + 1] = word
  end
  if #vocabulary > 0 then call_many('ZADD', B .. 'dl:wv', vocabulary) end
  batch.dlx = nil
end

-- Removes a deleted entry (its hash still readable) from every index: declared paths and words.
function dlx.remove(id_key, member)
  local names = { 'errorMessage' }
  local declared = dlx.declared()
  for _, d in ipairs(declared) do names[#names + 1] = d.field end
  local values = redis.call('HMGET', id_key, unpack(names))
  local fields = {}
  for i, name in ipairs(names) do
    if values[i] then fields[name] = values[i] end
  end
  redis.call('ZREM', dlx.queue_key(), member)
  for _, key in ipairs(dlx.path_keys(fields)) do redis.call('ZREM', key, member) end
  for _, word in ipairs(dlx.words(fields.errorMessage)) do
    local key = B .. 'dl:w:' .. word
    if redis.call('ZREM', key, member) == 1 and redis.call('EXISTS', key) == 0 then
      redis.call('ZREM', B .. 'dl:wv', word)
    end
  end
end

-- Queues a new entry for the search indexes (`at` is its dead-letter time, as text), gathered in
-- `batch.dlq` and written by dlx.apply_queue.
function dlx.defer(batch, at, member)
  local list = batch.dlq
  if not list then list = {}; batch.dlq = list end
  list[#list + 1] = at
  list[#list + 1] = member
end

-- The search-index fields of a stored entry (name -> text): its message and the fields of the
-- declared paths (listed once per script call).
function dlx.stored_fields(id_key)
  if not dlx.fields then
    dlx.fields = { 'errorMessage' }
    local seen = {}
    for _, d in ipairs(dlx.declared()) do
      if not seen[d.field] then
        seen[d.field] = true
        dlx.fields[#dlx.fields + 1] = d.field
      end
    end
  end
  local values = redis.call('HMGET', id_key, unpack(dlx.fields))
  local fields = {}
  for k, name in ipairs(dlx.fields) do
    if values[k] then fields[name] = values[k] end
  end
  return fields
end

-- Indexes up to `limit` of the oldest waiting entries (words and every declared path) and takes
-- them off the queue; returns how many. An entry purged by an older version (which does not know
-- the queue) has no hash left and is only taken off.
function dlx.index_queued(limit)
  local queue = dlx.queue_key()
  local raw = redis.call('ZRANGE', queue, 0, limit - 1, 'WITHSCORES')
  if #raw == 0 then return 0 end
  local batch, members = {}, {}
  for i = 1, #raw, 2 do
    -- A member is 16 digits of order, then the id (lib/dead-letters.lua).
    dlx.add(batch, raw[i + 1], raw[i], dlx.stored_fields(B .. 'dl:e:' .. string.sub(raw[i], 17)))
    members[#members + 1] = raw[i]
  end
  dlx.apply(batch)
  call_many('ZREM', queue, members)
  return #members
end

-- Writes the entries dlx.defer gathered; past BACKLOG waiting entries, indexes as many of the
-- oldest as the queue is over (at most HELP).
function dlx.apply_queue(batch)
  local list, lists = batch.dlq, batch.dlq_lists
  if not list and not lists then return end
  batch.dlq, batch.dlq_lists = nil, nil
  if list then call_many('ZADD', dlx.queue_key(), list) end
  -- The search-index queue's pairs that packed inserts share with the time indexes (dl_sink).
  if lists then
    for _, l in ipairs(lists) do call_many('ZADD', dlx.queue_key(), l) end
  end
  local over = redis.call('ZCARD', dlx.queue_key()) - dlx.BACKLOG
  if over > 0 then dlx.index_queued(math.min(over, dlx.HELP)) end
end

-- Marks the word index complete when a script inserts the first dead letter a store ever holds
-- (no older entry can be missing from it).
function dlx.first_insert()
  redis.call('HSET', B .. 'dl:ix', 'words', '1')
end
