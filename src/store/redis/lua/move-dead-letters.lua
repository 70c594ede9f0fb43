-- move-dead-letters.lua: the second step of a queue slot's dead-letter move (QueueSlotRedisStore):
-- inserts records read from a slot's outbox ({p#n}.dl:out, written by the failing job's script)
-- into the store's dead-letter keys. Idempotent: a record whose id, or whose job, exists already
-- is left as it is, so a move repeated after a crash (before the outbox entry went) adds nothing.
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] the slot's job id prefix (`<n>:`, making the job's store-wide id);
-- ARGV[3..] pairs: dead-letter id, outbox record (JSON [local job id, replayOf or '', now, fields])
-- Returns  the ids inserted by this call.
--!include lib/common.lua
--!include lib/dead-letters.lua

local inserted = {}
local batch = dl_batch_new()
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local r = cjson.decode(ARGV[i + 1])
  if dl_insert_moved(id, ARGV[2] .. r[1], nz(r[2]), r[4], tonumber(r[3]), batch) then inserted[#inserted + 1] = id end
end
dl_batch_apply(batch)
return inserted
