-- advance-start-horizon.lua: raises a worker's start horizon (never lowers it): the worker starts
-- a claimed job only once its start sequence number ('sq') is below a horizon stored here.
--
-- KEYS[1]  {p}:queues (declared for routing; not written)
-- ARGV[1]  key base;  ARGV[2] clock mode;  ARGV[3] caller's now;  ARGV[4] worker id;  ARGV[5] horizon
-- Returns  1
--!include lib/common.lua
--!include lib/jobs.lua
--!include lib/claim.lua

local now = store_clock(ARGV[2], tonumber(ARGV[3]))
raise_horizon(ARGV[4], tonumber(ARGV[5]), now)
return 1
