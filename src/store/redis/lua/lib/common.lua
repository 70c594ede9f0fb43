-- lib/common.lua: helpers shared by every script (scripts.ts inlines it where a script says
-- `--!include lib/common.lua`). Conventions: ARGV[1] is always the key base `{prefix}:`, so every
-- key a script builds shares the hash tag (and cluster slot) of the KEYS it declares. A null is
-- an absent hash field (or '' for fields that are never empty when set).

local B = ARGV[1]

-- nil for false, nil and ''.
local function nz(v)
  if v == false or v == nil or v == '' then return nil end
  return v
end

-- A number from a hash field or argument; `default` when absent.
local function num(v, default)
  if v == false or v == nil or v == '' then return default end
  return tonumber(v)
end

-- An integer as a decimal string (tostring switches to exponents above 1e14).
local function int(n)
  return string.format('%d', n)
end

-- Decimal strings of consecutive integers from `first`, one per call of the returned function,
-- each after `prefix` (if given) and with its zero-padded 15-digit form as a second result when
-- `padded`. From a `first` >= 0,
-- a number is formatted once per ten (Lua formats through sprintf, the costliest step of a small
-- loop) and the last digit appended.
local DIGITS = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' }
local function decimals_from(first, padded, prefix)
  prefix = prefix or ''
  local v, base, pbase = first, nil, nil
  if first < 0 then
    return function()
      v = v + 1
      if padded then return prefix .. string.format('%d', v - 1), string.format('%015d', v - 1) end
      return prefix .. string.format('%d', v - 1)
    end
  end
  return function()
    local d = v % 10
    if d == 0 or not base then
      local tens = (v - d) / 10
      if tens == 0 then base = prefix else base = prefix .. string.format('%d', tens) end
      if padded then pbase = string.format('%014d', tens) end
    end
    v = v + 1
    local digit = DIGITS[d + 1]
    if padded then return base .. digit, pbase .. digit end
    return base .. digit
  end
end

-- Redis server time in ms since the epoch.
local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The store's clock. In 'server' mode: the server's time, and the offset to add to the caller's
-- absolute times (so a delay of `runAt - callerNow` stays the same delay). In 'caller' mode: the
-- caller's `now` and 0.
local function store_clock(mode, caller_now)
  if mode == 'server' then
    local now = server_ms()
    return now, now - caller_now
  end
  return caller_now, 0
end

-- ZADD/ZREM/SADD-style calls with many arguments, chunked below Lua's stack limit.
local function call_many(cmd, key, args)
  local n = #args
  local i = 1
  while i <= n do
    local j = math.min(n, i + 3999)
    redis.call(cmd, key, unpack(args, i, j))
    i = j + 1
  end
end

-- The store's format version ({p}:format, absent = 1; see FORMAT_VERSIONS in keys.ts), read once
-- per script call. A script writes a newer layout only when this says every process reads it.
local format_version
local function store_format()
  if not format_version then format_version = tonumber(redis.call('GET', B .. 'format') or '1') or 1 end
  return format_version
end

-- A JSON string literal.
local function jstr(s)
  if s == nil or s == false then return 'null' end
  return cjson.encode(s)
end
