-- complete-jobs.lua: completes a batch of jobs, each fenced by its token.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] N;
-- ARGV[5..] N triples: id, token, result JSON ('' for null)
-- Returns  { now, outcomes }: one of 'ok', 'duplicate', 'stale_token', 'not_active', 'not_found'
--          per completion, in input order; or outcomes = 'all_ok' when every one was applied.
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/complete.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
return { int(now), complete(5, tonumber(ARGV[4]), now) }
