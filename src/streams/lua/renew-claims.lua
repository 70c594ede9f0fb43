-- renew-claims.lua: renews this consumer's claims. For each id still pending *for this consumer*,
-- resets its idle time (XCLAIM ... 0 ... JUSTID: no delivery-count increment). Ids pending for
-- another consumer (it reclaimed them) or no longer pending are returned: this consumer has lost
-- them. Atomic because between an XPENDING and an XCLAIM another consumer may reclaim the message.
--
-- KEYS[1]  the stream
-- ARGV[1]  group;  ARGV[2] this consumer;  ARGV[3..] message ids
-- Returns  { renewedCount, lostIds }

local stream, group, me = KEYS[1], ARGV[1], ARGV[2]
local lost = {}
local renewed = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XPENDING', stream, group, id, id, 1)
  if #entry == 1 and entry[1][2] == me then
    redis.call('XCLAIM', stream, group, me, 0, id, 'JUSTID')
    renewed = renewed + 1
  else
    lost[#lost + 1] = id
  end
end
return { renewed, lost }
