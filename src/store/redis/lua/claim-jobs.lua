-- claim-jobs.lua: claims up to `limit` due jobs of one queue, giving each a lease and a fencing
-- token (`<attempt>:<claimId>`); promotes due scheduled jobs first. Nothing while paused.
--
-- KEYS[1]  {p}:queues (registry; holds the paused flag)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] queue;  ARGV[5] worker id;
-- ARGV[6]  limit;  ARGV[7] lease ms;  ARGV[8] claim id;  ARGV[9] first start sequence number ('' =
--          no start marks);  ARGV[10] start horizon;  ARGV[11] '1' = quarantine allowed
-- Returns  { now, leaseExpiresAt, jobs, quarantined } with jobs the pieces of one JSON text (to
--          join): an array with, per claimed job, [id, attemptsMade, orphanCount, rateLimitDelays,
--          runAt, attempts, d or 0 (the previous job's), payload] (see lib/claim.lua; the token is
--          `<attemptsMade + 1>:<claimId>`), and quarantined '1' when the one job claimed is a
--          suspect, alone.
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/claim.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
local lease_ms = tonumber(ARGV[7])
local jobs, quarantined = claim(KEYS[1], ARGV[4], ARGV[5], tonumber(ARGV[6]), lease_ms, now, ARGV[8],
  tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1')
return { int(now), int(now + lease_ms), jobs, quarantined }
