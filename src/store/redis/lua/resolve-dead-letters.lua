-- resolve-dead-letters.lua: resolves `pending` and `requires_review` entries in one step, writing
-- an audit entry per resolved entry; entries that moved on (generation) or cannot be resolved are
-- skipped and reported.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] now;  ARGV[3] actor;  ARGV[4] note ('' = null);  ARGV[5] note is a
--          real empty string ('1') or not ('0');  ARGV[6] audit action;  ARGV[7] N;
-- ARGV[8..] N pairs: id, expected generation ('' = any)
-- Returns  { resolvedIds, skipped, notFoundIds } with skipped a list of { id, status, reason }
--          (reason 'stale_generation' or 'invalid_status').
--!include lib/common.lua
--!include lib/dead-letters.lua

local now, actor, action = tonumber(ARGV[2]), ARGV[3], ARGV[6]
local note = ARGV[4]
if note == '' and ARGV[5] ~= '1' then note = false end
local resolved, skipped, missing = {}, {}, {}
local seen = {}
for i = 1, tonumber(ARGV[7]) do
  local id, expected = ARGV[6 + i * 2], ARGV[7 + i * 2]
  if not seen[id] then
    seen[id] = true
    local m = dl_meta(id)
    if not m then
      missing[#missing + 1] = id
    elseif expected ~= '' and tonumber(expected) ~= m.generation then
      skipped[#skipped + 1] = { id, m.status, 'stale_generation' }
    elseif m.status ~= 'pending' and m.status ~= 'requires_review' then
      skipped[#skipped + 1] = { id, m.status, 'invalid_status' }
    else
      local after = dl_update(m, {
        'status', 'resolved', 'generation', int(m.generation + 1), 'resolvedAt', int(now),
        'resolvedBy', actor, 'resolutionNote', note, 'updatedAt', int(now),
      })
      audit_append(id, action, actor, note or nil, nil, nil, now, m, after)
      resolved[#resolved + 1] = id
    end
  end
end
return { resolved, skipped, missing }
