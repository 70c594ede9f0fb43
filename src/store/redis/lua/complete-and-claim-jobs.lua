-- complete-and-claim-jobs.lua: completes a batch, records a batch of failures, then claims the
-- next batch, in one atomic step (one round trip per batch for a busy worker). Same semantics as
-- complete-jobs.lua, fail-jobs.lua and claim-jobs.lua, in that order, at the same `now`.
--
-- KEYS[1]  {p}:queues
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6]  limit;  ARGV[7] lease ms;  ARGV[8] claim id;  ARGV[9] first start sequence number ('' =
--          no start marks);  ARGV[10] start horizon;  ARGV[11] '1' = quarantine allowed (as in
--          claim-jobs.lua);  ARGV[12] N;  ARGV[13] F;
-- ARGV[14..] N triples: id, token, result JSON ('' for null); then F failures (lib/fail.lua)
-- Returns  { now, leaseExpiresAt, outcomes, jobs, failures, quarantined } (shapes as in
--          complete-jobs.lua, claim-jobs.lua and fail-jobs.lua; failures is {} when F = 0)
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/claim.lua
--!include lib/complete.lua
--!include lib/dead-letters.lua
--!include lib/dead-letters-packed.lua
--!include lib/fail.lua

local now, offset = store_clock(ARGV[2], tonumber(ARGV[3]))
local lease_ms = tonumber(ARGV[7])
local n = tonumber(ARGV[12])
-- The completed jobs leave the active set only after the claim has added the next batch: a
-- worker's batch often is the whole set, and removing it first would delete the key, so that the
-- claim would rebuild it as a small listpack, whose inserts scan every entry, until it converts
-- at 128 entries; kept, the set stays a skiplist. Nothing in between reads it.
local leaving = {}
local outcomes = complete(14, n, now, leaving)
local failures = {}
local f = tonumber(ARGV[13])
if f > 0 then failures = fail_many(14 + n * 3, f, now, offset) end
local jobs, quarantined = claim(KEYS[1], ARGV[4], ARGV[5], tonumber(ARGV[6]), lease_ms, now, ARGV[8],
  tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1')
remove_from_active(leaving)
return { int(now), int(now + lease_ms), outcomes, jobs, failures, quarantined }
