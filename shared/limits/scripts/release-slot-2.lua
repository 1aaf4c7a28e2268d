--[[
  Gives back a slot taken by take-slot-2.lua; a failed attempt also counts
  as a failure for the window.

  KEYS[1] failures counter
  KEYS[2] slots in use
  ARGV[1] attempt id
  ARGV[2] '1' if the attempt failed (counts against the limit), else '0'
  ARGV[3] failure window (ms): failures are forgotten this long after the first

  Returns: the failures now counted.
]]
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] ~= '1' then
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return failures
