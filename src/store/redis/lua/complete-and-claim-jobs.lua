-- complete-and-claim-jobs.lua: completes a batch, records a batch of failures, then claims the
-- next batch, in one atomic step (one round trip per batch for a busy worker). Same semantics as
-- complete-jobs.lua, fail-jobs.lua and claim-jobs.lua, in that order, at the same `now`.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6]  limit;  ARGV[7] lease ms;  ARGV[8] claim id;  ARGV[9] N;  ARGV[10] F;
-- ARGV[11..] N triples: id, token, result JSON ('' for null); then F failures (lib/fail.lua)
-- Returns  { now, leaseExpiresAt, outcomes, jobs, failures } (shapes as in complete-jobs.lua,
--          claim-jobs.lua and fail-jobs.lua; failures is {} when F = 0)
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/claim.lua
--!include lib/complete.lua
--!include lib/dead-letters.lua
--!include lib/fail.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local lease_ms = tonumber(ARGV[7])
local n = tonumber(ARGV[9])
local outcomes = complete(11, n, now)
local failures = {}
local f = tonumber(ARGV[10])
if f > 0 then failures = fail_many(11 + n * 3, f, now, offset) end
local jobs = claim(KEYS[1], ARGV[4], ARGV[5], tonumber(ARGV[6]), lease_ms, now, ARGV[8])
return { int(now), int(now + lease_ms), outcomes, jobs, failures }
