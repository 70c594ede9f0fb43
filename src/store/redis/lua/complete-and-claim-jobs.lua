-- complete-and-claim-jobs.lua: completes a batch, then claims the next one, in one atomic step
-- (one round trip per batch for a busy worker). Same semantics as complete-jobs.lua followed by
-- claim-jobs.lua at the same `now`.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6]  limit;  ARGV[7] lease ms;  ARGV[8] claim id;  ARGV[9] N;
-- ARGV[10..] N triples: id, token, result JSON ('' for null)
-- Returns  { now, leaseExpiresAt, outcomes, jobs } (shapes as in complete-jobs.lua and claim-jobs.lua)
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/claim.lua
--!include lib/complete.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local lease_ms = tonumber(ARGV[7])
local outcomes = complete(10, tonumber(ARGV[9]), now)
local jobs = claim(KEYS[1], ARGV[4], ARGV[5], tonumber(ARGV[6]), lease_ms, now, ARGV[8])
return { int(now), int(now + lease_ms), outcomes, jobs }
