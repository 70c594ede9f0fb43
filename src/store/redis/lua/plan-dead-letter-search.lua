-- plan-dead-letter-search.lua: reads (changes nothing) which word sets of the error-text index
-- (lib/dead-letter-index.lua) hold every entry whose message contains a search text. The text's
-- words that it bounds on both sides must be whole words of the message (one set each); the last
-- one, open at the end, the start of a word (the sets of every vocabulary word it begins); a word
-- open at the start (the end of a message word) or on both sides (inside one) is not usable. Of
-- the usable words the one with the fewest entries is chosen, with the entries waiting for the
-- index ({p}:dl:ixq); the caller checks the text itself on the entries of its sets. A word that is common, or a start that begins more than `max words`
-- words or more than `max entries` entries, is not selective and not used.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] the search text, lower-cased;  ARGV[3] max words;  ARGV[4] max entries
-- Returns  { 'index', entries, key... } (the sets to read, possibly none: nothing matches), or
--          { 'none' } when the index cannot answer (no usable word, or the index is incomplete).
--!include lib/common.lua
--!include lib/dead-letters.lua

local text, max_words, max_entries = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HGET', B .. 'dl:ix', 'words') ~= '1' then return { 'none' } end

local WORD = '[%w\128-\255]+'
local best = nil
local pos = 1
while true do
  local first, last = string.find(text, WORD, pos)
  if not first then break end
  local word = string.sub(text, first, last)
  local bounded_left, bounded_right = first > 1, last < #text
  local candidate = nil
  if bounded_left and bounded_right then
    local key = string.sub(word, 1, dlx.WORD_BYTES)
    local n = redis.call('ZCARD', B .. 'dl:w:' .. key)
    -- No set: the word is in no entry, or common (its set dropped).
    if n > 0 or not dlx.common(key) then
      candidate = { n = n, keys = {} }
      if n > 0 then candidate.keys[1] = B .. 'dl:w:' .. key end
    end
  elseif bounded_left then
    local start = string.sub(word, 1, dlx.WORD_BYTES)
    local words = redis.call('ZRANGEBYLEX', B .. 'dl:wv', '[' .. start, '[' .. start .. '\255', 'LIMIT', 0, max_words + 1)
    if #words <= max_words then
      candidate = { n = 0, keys = {} }
      for _, w in ipairs(words) do
        -- A vocabulary word without a set is common (purges drop a word's set and entry at once).
        local n = redis.call('ZCARD', B .. 'dl:w:' .. w)
        if n == 0 then candidate = nil; break end
        candidate.n = candidate.n + n
        candidate.keys[#candidate.keys + 1] = B .. 'dl:w:' .. w
        if candidate.n > max_entries then candidate = nil; break end
      end
    end
  end
  if candidate and candidate.n <= max_entries and (not best or candidate.n < best.n) then best = candidate end
  pos = last + 1
end
if not best then return { 'none' } end
-- Entries not indexed yet (lib/dead-letter-index.lua) are candidates too.
local queued = redis.call('ZCARD', dlx.queue_key())
if queued > 0 then
  best.n = best.n + queued
  if best.n > max_entries then return { 'none' } end
  best.keys[#best.keys + 1] = dlx.queue_key()
end
local out = { 'index', best.n }
for _, key in ipairs(best.keys) do out[#out + 1] = key end
return out
