-- update-job-progress.lua: stores a running job's progress (field `pg`, JSON), fenced by the
-- attempt's token like a completion.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] job id;  ARGV[5] token;
-- ARGV[6]  the progress as JSON
-- Returns  'ok', 'stale_token', 'not_active' or 'not_found' (also for a hash without q, which is no
--          job: see delete_job_remnant in lib/jobs.lua).
--!include lib/common.lua
--!include lib/jobs.lua

local k = jkey(ARGV[4])
local f = redis.call('HMGET', k, 's', 'tk', 'q')
local refused = fence_outcome(f[1], f[2], f[3], ARGV[5])
if refused then return refused end
redis.call('HSET', k, 'pg', ARGV[6])
return 'ok'
