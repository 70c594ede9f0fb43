-- lib/complete.lua: fenced completion of a batch. Needs lib/common.lua, lib/jobs.lua.

-- Completes each { id, token, result } (from ARGV starting at `first`, `n` triples) whose token
-- is current. Returns one outcome per completion: 'ok'; 'duplicate' (this token already
-- completed it); 'stale_token'; 'not_active'; 'not_found' — or the single string 'all_ok' when
-- every completion was applied (the common case, kept small).
local function complete(first, n, now)
  local out = {}
  local all_ok = true
  local batch = batch_new()
  local finished = int(now)
  for i = 1, n do
    local a = first + (i - 1) * 3
    local id, token = ARGV[a], ARGV[a + 1]
    local k = jkey(id)
    local f = redis.call('HMGET', k, 's', 'tk', 'am', 'q')
    if f[1] ~= 'active' or f[2] ~= token then all_ok = false end
    if not f[1] then
      out[i] = 'not_found'
    elseif f[2] ~= token then
      out[i] = 'stale_token'
    elseif f[1] == 'active' then
      redis.call('HSET', k, 's', 'completed', 'fa', finished, 'am', num(f[3], 0) + 1, 'le', '', 'r', ARGV[a + 2])
      batch_add(batch, f[4], 'zrem:active', id)
      batch_add(batch, f[4], 'zadd:done', finished, id)
      out[i] = 'ok'
    elseif f[1] == 'completed' then
      out[i] = 'duplicate'
    else
      out[i] = 'not_active'
    end
  end
  batch_apply(batch)
  if all_ok then return 'all_ok' end
  return out
end
