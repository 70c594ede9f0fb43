-- fail-jobs.lua: records failed attempts of a batch of jobs, each fenced by its token, and applies
-- each caller's outcome: retry or rate-limit pause (back to scheduled, or waiting when due), or
-- the dead-letter queue (the record is created here, in the same step).
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] N;
-- ARGV[5..] the N failures' arguments as lib/fail.lua describes (shared field blocks, then each
--          failure).
-- Returns  one outcome per failure, in input order: 'retried', 'dead_lettered', 'duplicate' (this
--          failure was recorded already), 'stale_token', 'not_active' or 'not_found', or the pair
--          { 'dead_lettered_to_kept_entry', id } (dead-lettered, the job keeping the entry `id`
--          stored for it before, '' for none); or the single
--          string 'all_ok' when every failure was applied as asked (retried or dead-lettered).
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/dead-letters.lua
--!include lib/dead-letters-packed.lua
--!include lib/fail.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
return fail_many(5, tonumber(ARGV[4]), now, offset)
