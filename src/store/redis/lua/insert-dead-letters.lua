-- insert-dead-letters.lua: inserts dead-letter records; a record whose id, or whose job, exists
-- already is left as it is (idempotent import).
--
-- KEYS[1]  {p}:dl:t (declared for routing)
-- ARGV[1]  key base;  ARGV[2] now;  ARGV[3] N;  ARGV[4..] N groups: id, jobId ('' = none), field
--          count M, then M field/value pairs (every non-null property, `status` included).
-- Returns  the ids that were new, in input order. From format 4, an entry for a job that exists
--          is also named on the job (field `dlo`), which the job's failure reads.
--!include lib/common.lua
--!include lib/dead-letters.lua

local now = tonumber(ARGV[2])
local inserted, batch = {}, dl_batch_new()
local a = 4
for _ = 1, tonumber(ARGV[3]) do
  local id, job_id, m = ARGV[a], nz(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local fields = {}
  for i = 1, m * 2 do fields[i] = ARGV[a + 2 + i] end
  a = a + 3 + m * 2
  if dl_insert(id, job_id, fields, now, batch) then
    inserted[#inserted + 1] = id
    -- From format 4 a failing job's script no longer looks its job up in {p}:dl:job (see
    -- lib/dead-letters-packed.lua): an entry stored for a job that still exists is named on the
    -- job too (`dlo`), so that the job's failure keeps it as the job's one dead letter.
    if job_id and store_format() >= 4 then
      local job_key = B .. 'j:' .. job_id
      if redis.call('EXISTS', job_key) == 1 then redis.call('HSET', job_key, 'dlo', id) end
    end
  end
end
dl_batch_apply(batch)
return inserted
