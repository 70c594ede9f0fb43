-- lib/leader.lua: the store's leader lease (scripts.ts inlines it where a script says
-- `--!include lib/leader.lua`). The lease is one string key, KEYS[1], holding JSON
-- {h: holder, e: epoch, a: acquired at, x: expires at, r: service runs (a JSON string)}; in
-- 'server' clock mode the key expires with the lease (PX), in 'caller' mode the expiry is judged
-- by the caller's clock only. The epoch counter, KEYS[2], outlives every lease, so epochs never go back.

-- The lease as a table, or nil when there is none.
local function read_lease()
  local raw = redis.call('GET', KEYS[1])
  if not raw then return nil end
  return cjson.decode(raw)
end

-- The lease as JSON, times as integers (cjson would round numbers to 14 digits).
local function lease_json(l)
  return '{"h":' .. cjson.encode(l.h) .. ',"e":' .. int(l.e) .. ',"a":' .. int(l.a) .. ',"x":' .. int(l.x)
    .. ',"r":' .. cjson.encode(l.r) .. '}'
end

-- Writes the lease (only if absent with nx); returns its JSON.
local function write_lease(l, mode, now, nx)
  local json = lease_json(l)
  local args = { 'SET', KEYS[1], json }
  if nx then args[#args + 1] = 'NX' end
  if mode == 'server' then
    args[#args + 1] = 'PX'
    args[#args + 1] = int(math.max(1, l.x - now))
  end
  redis.call(unpack(args))
  return json
end
