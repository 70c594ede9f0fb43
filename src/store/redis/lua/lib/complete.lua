-- lib/complete.lua: fenced completion of a batch. Needs lib/common.lua, lib/jobs.lua.

-- Completes each { id, token, result } (from ARGV starting at `first`, `n` triples) whose token
-- is current. Returns one outcome per completion: 'ok'; 'duplicate' (this token already
-- completed it); 'stale_token'; 'not_active'; 'not_found' (also for a hash without q, which is no
-- job: see delete_job_remnant in lib/jobs.lua) — or the single string 'all_ok' when
-- every completion was applied (the common case, kept small). With `defer` (a table), the ids
-- leaving each queue's active set are put in defer[queue] for the caller to remove later (see
-- remove_from_active) instead of at once. Each queue's completions of the batch become one member
-- of its completed index (see done_add in lib/jobs.lua).
local function complete(first, n, now, defer)
  local out = {}
  local all_ok = true
  -- Per queue: ids leaving the active set (and entering the completed index).
  local leaving = {}
  local finished = int(now)
  local call = redis.call
  for i = 1, n do
    local a = first + (i - 1) * 3
    local id, token = ARGV[a], ARGV[a + 1]
    local k = jkey(id)
    local f = call('HMGET', k, 's', 'tk', 'q')
    if f[1] ~= 'active' or f[2] ~= token or not f[3] then all_ok = false end
    if not f[1] or not f[3] then
      out[i] = 'not_found'
    elseif f[2] ~= token then
      out[i] = 'stale_token'
    elseif f[1] == 'active' then
      -- The lease field stays: a lease means nothing once the job is not active (see lib/jobs.lua).
      -- So does am: a completed job's attempts made are its token's attempt (see lib/jobs.lua).
      local result = ARGV[a + 2]
      if result == '' then
        call('HSET', k, 's', 'completed', 'fa', finished)
      else
        call('HSET', k, 's', 'completed', 'fa', finished, 'r', result)
      end
      local queue = f[3]
      local l = leaving[queue]
      if not l then l = {}; leaving[queue] = l end
      l[#l + 1] = id
      out[i] = 'ok'
    elseif f[1] == 'completed' then
      out[i] = 'duplicate'
    else
      out[i] = 'not_active'
    end
  end
  for queue, ids in pairs(leaving) do
    if defer then defer[queue] = ids else call_many('ZREM', qkey(queue, 'active'), ids) end
    done_add(queue, finished, ids)
  end
  if all_ok then return 'all_ok' end
  return out
end

-- Removes the ids a deferred complete() left in `leaving` (queue -> ids) from the active sets.
local function remove_from_active(leaving)
  for queue, ids in pairs(leaving) do call_many('ZREM', qkey(queue, 'active'), ids) end
end
